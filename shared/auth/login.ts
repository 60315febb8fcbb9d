import { ApiError } from '../errors';
import { logger, recordSecurityEvent } from '../observability';
import { hashPassword, needsRehash, verifyPassword } from '../passwords';
import { publicUser, type AuthContext, type PublicUser } from './context';
import type { SessionClient } from './session-client';
import { lockSecondsAfter } from './session-rules';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

export interface LoginInput {
  kind: 'email' | 'username';
  identifier: string;
  password: string;
}

/**
 * Password login. Unknown accounts cost one dummy hash and count failures under their
 * identifier, so they look exactly like wrong passwords. Failures lock the account for
 * 2^(n-5) s from the 5th on; a success resets.
 */
export async function login(ctx: AuthContext, input: LoginInput, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  const user = input.kind === 'email' ? await ctx.users.findByEmail(input.identifier) : await ctx.users.findByUsername(input.identifier);
  const throttleKey = user ? `user#${user.id}` : `${input.kind}#${input.identifier}`;

  const attempts = await ctx.limits.getLoginAttempts(throttleKey);
  const now = ctx.now();
  if (attempts.lockedUntil !== undefined && attempts.lockedUntil > now) {
    recordSecurityEvent('LoginLockout', { userId: user?.id });
    throw new ApiError('too_many_attempts', { retryAfterSeconds: (attempts.lockedUntil - now) / 1000 });
  }

  const passwordMatches = await verifyPassword(input.password, user?.passwordHash);
  if (!user || !passwordMatches) {
    const failures = await ctx.limits.recordLoginFailure(throttleKey, ctx.now());
    const lockSeconds = lockSecondsAfter(failures);
    if (lockSeconds > 0) await ctx.limits.lockLogin(throttleKey, ctx.now() + lockSeconds * 1000);
    recordSecurityEvent('LoginFailure', { userId: user?.id, failures, lockSeconds });
    throw new ApiError('invalid_credentials');
  }

  if (attempts.failures > 0) await ctx.limits.clearLoginAttempts(throttleKey);

  if (needsRehash(user.passwordHash)) {
    // The cost was raised since this hash was made: upgrade it now that we know the password.
    await ctx.users
      .updatePasswordHash(user.id, await hashPassword(input.password))
      .catch((error) => logger.warn('password rehash failed', { userId: user.id, error: String(error) }));
  }

  const session = newSession(ctx, user.id, client);
  await ctx.sessions.create(session);
  return { user: publicUser(user), tokens: await issueTokens(ctx, session, session.generation) };
}
