import { createHmac, timingSafeEqual } from 'node:crypto';
import { getRefreshTokenKey } from '../keys';

/**
 * Refresh tokens are derived, not stored: HMAC-SHA256(server key, session id + generation).
 * The database holds only the session's generation, so a leaked table cannot mint a token, and
 * the successor of a generation is always the same string — which is what lets two racing
 * refreshes inside the grace window receive the same token.
 * Format: rt1.<sessionId>.<generation>.<base64url hmac (256 bits)>
 */
const PREFIX = 'rt1';
const sessionIdPattern = /^[A-Za-z0-9_-]{16,64}$/;

export interface RefreshTokenClaims {
  sessionId: string;
  generation: number;
}

function mac(key: Buffer, sessionId: string, generation: number): Buffer {
  return createHmac('sha256', key).update(`refresh:${sessionId}:${generation}`).digest();
}

export async function deriveRefreshToken(sessionId: string, generation: number): Promise<string> {
  const key = await getRefreshTokenKey();
  return `${PREFIX}.${sessionId}.${generation}.${mac(key, sessionId, generation).toString('base64url')}`;
}

/** The session and generation a token stands for, or undefined if it is not one we issued. */
export async function readRefreshToken(token: string | undefined): Promise<RefreshTokenClaims | undefined> {
  if (!token || token.length > 200) return undefined;
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, sessionId, generationText, signature] = parts as [string, string, string, string];
  if (!sessionIdPattern.test(sessionId) || !/^(0|[1-9]\d{0,9})$/.test(generationText)) return undefined;
  const generation = Number(generationText);
  const expected = mac(await getRefreshTokenKey(), sessionId, generation);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { sessionId, generation };
}
