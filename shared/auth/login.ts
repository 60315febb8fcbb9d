import { ApiError } from '../errors';
import { logger } from '../observability';
import { hashPassword, needsRehash, verifyPassword } from '../passwords';
import { readDeviceToken } from '../tokens/device-token';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { startMfaChallenge, type MfaRequired } from './mfa-challenge';
import type { SessionClient } from './session-client';
import { throttledPasswordCheck, throttleKeys, trustedDevicePasswordCheck } from './throttle';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

export interface LoginInput {
  kind: 'email' | 'username';
  /** Trimmed and lower-cased. */
  identifier: string;
  password: string;
  /** The device cookie's value, if the browser sent one. */
  deviceToken?: string;
}

/**
 * Password login. The attempt is counted on the identifier AS TYPED, not on the account it
 * resolves to: a locked username says nothing about which email belongs to it, and an attacker
 * hammering the username does not lock out the owner logging in by email. A valid device cookie
 * of the resolved account counts on that device's own counter instead, so the owner's browsers
 * are not locked out by anyone else. Unknown accounts cost one dummy hash and are counted alike.
 */
export async function login(ctx: AuthContext, input: LoginInput, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens } | MfaRequired> {
  const user = input.kind === 'email' ? await ctx.users.findByEmail(input.identifier) : await ctx.users.findByUsername(input.identifier);
  const verify = () => verifyPassword(input.password, user?.passwordHash);
  const subject = { userId: user?.id };

  const device = await readDeviceToken(input.deviceToken, ctx.now());
  const trustedDevice = user && device?.userId === user.id ? device : undefined;
  let passwordMatches = trustedDevice ? await trustedDevicePasswordCheck(ctx, trustedDevice.deviceId, verify, subject) : undefined;
  passwordMatches ??= await throttledPasswordCheck(ctx, throttleKeys.login(input.kind, input.identifier), verify, subject);
  if (!user || !passwordMatches) throw new ApiError('invalid_credentials');

  let verifiedHash = user.passwordHash;
  if (needsRehash(user.passwordHash)) {
    // The cost was raised since this hash was made: upgrade it now that we know the password.
    const upgraded = await hashPassword(input.password);
    const stored = await ctx.users
      .updatePasswordHash(user.id, upgraded, user.passwordHash)
      .catch((error) => {
        logger.warn('password rehash failed', { userId: user.id, error: String(error) });
        return false;
      });
    if (stored) verifiedHash = upgraded;
  }

  // Two-factor on: no session yet, only a handle for the second step (POST /auth/mfa/verify).
  if (user.mfaEnabled) return startMfaChallenge(ctx, user.id);

  const session = newSession(ctx, user.id, client);
  await ctx.sessions.create(session);
  await refuseIfCredentialsChanged(ctx, user.id, verifiedHash, session.id);
  return { user: publicUser(user), tokens: await issueTokens(ctx, session, session.generation) };
}

/**
 * A password reset, change or account deletion may commit while this login hashes. Those revoke
 * every session they find AFTER their write; this check runs AFTER the session was written. So
 * either the change's revocation sees this session, or this read sees the change and the session
 * is revoked here: no session made with a replaced password (or of a deleted account) survives.
 */
async function refuseIfCredentialsChanged(ctx: AuthContext, userId: string, verifiedHash: string, sessionId: string): Promise<void> {
  const current = await ctx.users.findById(userId);
  if (current?.passwordHash === verifiedHash) return;
  await ctx.sessions.revoke(sessionId, ctx.now());
  throw new ApiError('invalid_credentials');
}
