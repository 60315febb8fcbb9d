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

  if (needsRehash(user.passwordHash)) {
    // The cost was raised since this hash was made: upgrade it now that we know the password.
    await ctx.users
      .updatePasswordHash(user.id, await hashPassword(input.password))
      .catch((error) => logger.warn('password rehash failed', { userId: user.id, error: String(error) }));
  }

  // Two-factor on: no session yet, only a handle for the second step (POST /auth/mfa/verify).
  if (user.mfaEnabled) return startMfaChallenge(ctx, user.id);

  const session = newSession(ctx, user.id, client);
  await ctx.sessions.create(session);
  return { user: publicUser(user), tokens: await issueTokens(ctx, session, session.generation) };
}
