import { ApiError } from '../errors';
import { logger, recordSecurityEvent } from '../observability';
import { hashPassword } from '../passwords';
import { hashVerificationToken } from '../tokens/verification-token';
import type { AuthContext } from './context';
import { assertNewPasswordAllowed } from './password-policy';
import { revokeEverySession } from './recent-sessions';
import { throttleKeys } from './throttle';
import { eventNow } from './events';
import type { SessionClient } from './session-client';

export const RESET_REQUESTED = 'If that address has an account, a mail with a link to reset its password is on its way.';

/**
 * Forgot password: like register, one mail intent written with a single PutItem and nothing
 * read, so the reply and its timing are the same for every address. The mailer decides whether
 * a link goes out (only to an account's address, within the per-mailbox, per-source and global limits).
 */
export async function requestPasswordReset(ctx: AuthContext, input: { email: string }, sourceIp: string | undefined): Promise<void> {
  await ctx.outbox.enqueue({ kind: 'password_reset', email: input.email, ...(sourceIp ? { sourceIp } : {}) });
}

/**
 * Sets a new password with a mailed reset link. The link is consumed, the hash replaced, the
 * account's credentialsVersion bumped (every other reset link dies with it) and the notice
 * written in one transaction; then every session is revoked and the login counters of the
 * account's email and username cleared, so its owner is not left locked out. Nobody is signed
 * in: the user logs in with the new password. Unknown, expired, used and superseded links and
 * links of a deleted account are all 400 invalid_token. Two-factor settings are not touched.
 */
export async function resetPassword(ctx: AuthContext, input: { token: string; password: string }, client: SessionClient = {}): Promise<void> {
  await assertNewPasswordAllowed(ctx.config, input.password);
  const link = await ctx.users.findResetToken(hashVerificationToken(input.token));
  if (!link || link.expiresAt <= ctx.now()) throw new ApiError('invalid_token');
  const user = await ctx.users.findById(link.userId);
  if (!user) throw new ApiError('invalid_token');

  const passwordHash = await hashPassword(input.password);
  const event = eventNow(ctx, user.id, 'password_reset', client);
  if (!(await ctx.users.resetPassword(link, passwordHash, { kind: 'password_changed', email: user.email }, ctx.now(), event))) {
    throw new ApiError('invalid_token');
  }

  const revoked = await revokeEverySession(ctx, user.id);
  const counters = [throttleKeys.login('email', user.email), throttleKeys.account(user.id)];
  if (user.username) counters.push(throttleKeys.login('username', user.username.toLowerCase()));
  await Promise.all(counters.map((counter) => ctx.limits.clearAttempts(counter)));
  recordSecurityEvent('PasswordReset', { userId: user.id });
  logger.info('password reset', { userId: user.id, sessions: revoked });
}
