import { ApiError } from '../errors';
import { logger, recordSecurityEvent } from '../observability';
import { hashPassword } from '../passwords';
import type { AuthContext } from './context';
import { assertNewPasswordAllowed } from './password-policy';
import { deleteOnCompleteSnapshot, revokeEverySession } from './recent-sessions';
import { stepUp, type StepUpInput } from './step-up';
import { eventNow } from './events';
import type { SessionClient } from './session-client';

interface Caller {
  userId: string;
  sessionId: string;
}

export const EMAIL_CHANGE_REQUESTED = 'If the new address can be used, a mail with a link to confirm it is on its way there.';

/**
 * Changes the password of the signed-in user after step-up (shared/auth/step-up.ts: the current
 * password as `currentPassword`, or a passkey assertion, then the second factor while two-factor
 * is on). An account without a password (created through an identity provider) sets its first
 * one here, after step-up by a passkey or a sign-in under 10 minutes old. The hash (only if it
 * is still the one just verified, or still absent), a bumped credentialsVersion (pending reset
 * links die) and the notice are one transaction; then every other session is revoked and this
 * one kept.
 */
export async function changePassword(
  ctx: AuthContext,
  caller: Caller,
  input: Omit<StepUpInput, 'password'> & { currentPassword?: string; newPassword: string },
  client: SessionClient = {},
): Promise<void> {
  await assertNewPasswordAllowed(ctx.config, input.newPassword, 'newPassword');
  const { currentPassword, newPassword: _newPassword, ...proof } = input;
  const user = await stepUp(ctx, caller, currentPassword === undefined ? proof : { ...proof, password: currentPassword });
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
 * Asks to move the account to a new address, after step-up: one mail intent. The mailer sends the
 * confirmation link to the new address only if no account uses it, so the reply (202) is the same
 * whether or not the address is taken.
 */
export async function requestEmailChange(ctx: AuthContext, caller: Caller, input: StepUpInput & { newEmail: string }): Promise<void> {
  const user = await stepUp(ctx, caller, input);
  await ctx.outbox.enqueue({ kind: 'email_change', email: input.newEmail, userId: user.id, credentialsVersion: user.credentialsVersion ?? 0 });
  recordSecurityEvent('EmailChangeRequest', { userId: user.id });
}

/**
 * Deletes the signed-in user's account after step-up: the user and its uniqueness items
 * (the address and username are free again) and the notice in one transaction, then every session
 * revoked. Revoking after the delete means a refresh racing it still finds its session revoked;
 * pending mailed links die because they are checked against the (now missing) user.
 */
export async function deleteAccount(ctx: AuthContext, caller: Caller, input: StepUpInput): Promise<void> {
  const user = await stepUp(ctx, caller, input);
  const deleted = await deleteOnCompleteSnapshot(ctx, user, { kind: 'account_deleted', email: user.email });
  if (!deleted) throw new ApiError('unauthorized');
  const revoked = await revokeEverySession(ctx, user.id, { snapshot: deleted });
  await ctx.sessions.revoke(caller.sessionId, ctx.now());
  // Their user handle names an account that no longer exists (they cannot sign in); this only tidies up.
  await ctx.passkeys.forgetAllOfUser(user.id).catch((error: unknown) => logger.warn('passkey clean-up failed', { userId: user.id, error: String(error) }));
  // A pointer left behind names a deleted account: the identity counts as new again, so this only tidies up too.
  await ctx.identities.forgetAllOfUser(user.id).catch((error: unknown) => logger.warn('identity clean-up failed', { userId: user.id, error: String(error) }));
  recordSecurityEvent('AccountDeletion', { userId: user.id });
  logger.info('account deleted', { userId: user.id, sessions: revoked });
}
