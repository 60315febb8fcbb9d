import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { fromRefreshTokenKey } from '../keys';

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

/**
 * The refresh key as a KeyObject, made once per loaded key (a rotated key makes a new one): an
 * HMAC keyed with a Buffer copies and checks the key on every call, about 6 × the CPU of the HMAC
 * itself, and every refresh computes two.
 */
const refreshHmacKey = fromRefreshTokenKey((raw): KeyObject => createSecretKey(raw));

function mac(key: KeyObject, sessionId: string, generation: number): Buffer {
  return createHmac('sha256', key).update(`refresh:${sessionId}:${generation}`).digest();
}

function encode(key: KeyObject, sessionId: string, generation: number): string {
  return `${PREFIX}.${sessionId}.${generation}.${mac(key, sessionId, generation).toString('base64url')}`;
}

export async function deriveRefreshToken(sessionId: string, generation: number): Promise<string> {
  return encode(await refreshHmacKey(), sessionId, generation);
}

/**
 * The session and generation a token stands for, or undefined if it is not one we issued.
 * Only the exact string we issued is accepted: the token is re-encoded from its claims and
 * compared whole, so a padded or otherwise re-spelled signature (base64url decoding is lenient
 * about padding, stray characters and the unused low bits of the last character) or a
 * generation with leading zeros is refused rather than read as the same token.
 */
export async function readRefreshToken(token: string | undefined): Promise<RefreshTokenClaims | undefined> {
  if (!token || token.length > 200) return undefined;
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, sessionId, generationText] = parts as [string, string, string, string];
  if (!sessionIdPattern.test(sessionId) || !/^(0|[1-9]\d{0,9})$/.test(generationText)) return undefined;
  const generation = Number(generationText);
  const given = Buffer.from(token);
  const canonical = Buffer.from(encode(await refreshHmacKey(), sessionId, generation));
  if (given.length !== canonical.length || !timingSafeEqual(given, canonical)) return undefined;
  return { sessionId, generation };
}

/**
 * Of several presented tokens (several refresh_token cookies), the first that is one we issued,
 * with its claims; a stale or foreign cookie in front of the real one does not hide it.
 */
export async function firstValidRefreshToken(tokens: readonly string[]): Promise<RefreshTokenClaims | undefined> {
  for (const token of tokens) {
    const claims = await readRefreshToken(token);
    if (claims) return claims;
  }
  return undefined;
}
