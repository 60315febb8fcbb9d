import { ApiError } from '../errors';
import { logger, recordSecurityEvent } from '../observability';
import { hashPassword } from '../passwords';
import type { AuthContext } from './context';
import { assertNewPasswordAllowed } from './password-policy';
import { requireSecondFactor } from './mfa';
import { forgetEveryDevice } from './devices';
import { deleteOnCompleteSnapshot, revokeEverySession } from './recent-sessions';
import { reauthenticate } from './reauthentication';
import { eventNow } from './events';
import type { SessionClient } from './session-client';

interface Caller {
  userId: string;
  sessionId: string;
}

export const EMAIL_CHANGE_REQUESTED = 'If the new address can be used, a mail with a link to confirm it is on its way there.';

/**
 * Changes the password of the signed-in user after re-authentication (password, then the
 * second factor while two-factor is on). The hash (only if it is
 * still the one just verified), a bumped credentialsVersion (pending reset links die) and the
 * notice are one transaction; then every other session is revoked and this one kept.
 */
export async function changePassword(
  ctx: AuthContext,
  caller: Caller,
  input: { currentPassword: string; newPassword: string; code?: string },
  client: SessionClient = {},
): Promise<void> {
  await assertNewPasswordAllowed(ctx.config, input.newPassword, 'newPassword');
  const user = await reauthenticate(ctx, caller.userId, input.currentPassword);
  await requireSecondFactor(ctx, user, input);
  const passwordHash = await hashPassword(input.newPassword);
  // The password changed meanwhile (another device): the one verified is no longer current.
  const event = eventNow(ctx, user.id, 'password_changed', client);
  if (!(await ctx.users.changePassword(user, passwordHash, { kind: 'password_changed', email: user.email }, ctx.now(), event))) {
    throw new ApiError('reauthentication_failed');
  }
  const revoked = await revokeEverySession(ctx, user.id, { except: caller.sessionId });
  recordSecurityEvent('PasswordChange', { userId: user.id });
  logger.info('password changed', { userId: user.id, otherSessions: revoked });
}

/**
 * Asks to move the account to a new address, after re-authentication: one mail intent. The
 * mailer sends the confirmation link to the new address only if no account uses it, so the reply
 * (202) is the same whether or not the address is taken.
 */
export async function requestEmailChange(ctx: AuthContext, caller: Caller, input: { password: string; newEmail: string; code?: string }): Promise<void> {
  const user = await reauthenticate(ctx, caller.userId, input.password);
  await requireSecondFactor(ctx, user, input);
  await ctx.outbox.enqueue({ kind: 'email_change', email: input.newEmail, userId: user.id, credentialsVersion: user.credentialsVersion ?? 0 });
  recordSecurityEvent('EmailChangeRequest', { userId: user.id });
}

/**
 * Deletes the signed-in user's account after re-authentication: the user and its uniqueness items
 * (the address and username are free again) and the notice in one transaction, then every session
 * revoked. Revoking after the delete means a refresh racing it still finds its session revoked;
 * pending mailed links die because they are checked against the (now missing) user.
 */
export async function deleteAccount(ctx: AuthContext, caller: Caller, input: { password: string; code?: string }): Promise<void> {
  const user = await reauthenticate(ctx, caller.userId, input.password);
  await requireSecondFactor(ctx, user, input);
  const deleted = await deleteOnCompleteSnapshot(ctx, user, { kind: 'account_deleted', email: user.email });
  if (!deleted) throw new ApiError('unauthorized');
  const revoked = await revokeEverySession(ctx, user.id, { snapshot: deleted });
  await ctx.sessions.revoke(caller.sessionId, ctx.now());
  // Already untrusted (no account to trust them); forgetting them only tidies up before their TTL.
  await forgetEveryDevice(ctx, user.id).catch((error: unknown) => logger.warn('device clean-up failed', { userId: user.id, error: String(error) }));
  // Their user handle names an account that no longer exists (they cannot sign in); this only tidies up.
  await ctx.passkeys.forgetAllOfUser(user.id).catch((error: unknown) => logger.warn('passkey clean-up failed', { userId: user.id, error: String(error) }));
  // A pointer left behind names a deleted account: the identity counts as new again, so this only tidies up too.
  await ctx.identities.forgetAllOfUser(user.id).catch((error: unknown) => logger.warn('identity clean-up failed', { userId: user.id, error: String(error) }));
  recordSecurityEvent('AccountDeletion', { userId: user.id });
  logger.info('account deleted', { userId: user.id, sessions: revoked });
}
