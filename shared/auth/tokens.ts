import { randomBytes } from 'node:crypto';
import type { AuthMethod, SessionRecord } from '../stores';
import { signAccessToken } from '../tokens/access-token';
import { deriveRefreshToken } from '../tokens/refresh-token';
import type { AuthContext } from './context';
import type { SessionClient } from './session-client';
import { remainingLifetimeSeconds } from './session-rules';

/** What a successful login, verification or refresh hands out; the route turns it into body + cookie. */
export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshMaxAgeSeconds: number;
  /** A new device cookie's value, when this sign-in came from a device the account does not trust yet. */
  deviceToken?: string;
}

/**
 * `roles`: the user's, copied onto the session so a refresh (one conditional write, no user read)
 * can put them in the access token; a role change rewrites the copies of the user's live sessions.
 */
export function newSession(
  ctx: AuthContext,
  userId: string,
  client: SessionClient = {},
  amr: readonly AuthMethod[] = ['pwd'],
  roles: readonly string[] = [],
): SessionRecord {
  const now = ctx.now();
  return {
    ...client,
    amr,
    ...(roles.length ? { roles } : {}),
    id: randomBytes(16).toString('base64url'),
    userId,
    generation: 0,
    createdAt: now,
    lastUsedAt: now,
    absoluteExpiresAt: now + ctx.config.SESSION_MAX_AGE_SECONDS * 1000,
  };
}

/**
 * The access token carries the session's copy of the user's roles (kept current by a role change:
 * shared/auth/admin.ts) and, as `auth_time`, the session's sign-in: what step-up's "recent sign-in" reads.
 */
export async function issueTokens(ctx: AuthContext, session: SessionRecord, generation: number): Promise<IssuedTokens> {
  const [{ accessToken, expiresIn }, refreshToken] = await Promise.all([
    signAccessToken(session.userId, session.id, session.amr ?? ['pwd'], session.roles, session.createdAt),
    deriveRefreshToken(session.id, generation),
  ]);
  return { accessToken, expiresIn, refreshToken, refreshMaxAgeSeconds: remainingLifetimeSeconds(session, ctx.now()) };
}
