import { ApiError } from '../errors';
import { logger, recordSecurityEvent } from '../observability';
import { hashPassword } from '../passwords';
import { hashVerificationToken } from '../tokens/verification-token';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { reauthenticate } from './reauthentication';

interface Caller {
  userId: string;
  sessionId: string;
}

export const EMAIL_CHANGE_REQUESTED = 'If the new address can be used, a mail with a link to confirm it is on its way there.';

/**
 * Changes the password of the signed-in user after re-authentication. The hash (only if it is
 * still the one just verified), a bumped credentialsVersion (pending reset links die) and the
 * notice are one transaction; then every other session is revoked and this one kept.
 */
export async function changePassword(ctx: AuthContext, caller: Caller, input: { currentPassword: string; newPassword: string }): Promise<void> {
  const user = await reauthenticate(ctx, caller.userId, input.currentPassword);
  const passwordHash = await hashPassword(input.newPassword);
  // The password changed meanwhile (another device): the one verified is no longer current.
  if (!(await ctx.users.changePassword(user, passwordHash, { kind: 'password_changed', email: user.email }, ctx.now()))) {
    throw new ApiError('reauthentication_failed');
  }
  const revoked = await ctx.sessions.revokeAllOfUser(user.id, ctx.now(), caller.sessionId);
  recordSecurityEvent('PasswordChange', { userId: user.id });
  logger.info('password changed', { userId: user.id, otherSessions: revoked });
}

/**
 * Asks to move the account to a new address, after re-authentication: one mail intent. The
 * mailer sends the confirmation link to the new address only if no account uses it, so the reply
 * (202) is the same whether or not the address is taken.
 */
export async function requestEmailChange(ctx: AuthContext, caller: Caller, input: { password: string; newEmail: string }): Promise<void> {
  const user = await reauthenticate(ctx, caller.userId, input.password);
  await ctx.outbox.enqueue({ kind: 'email_change', email: input.newEmail, userId: user.id });
  recordSecurityEvent('EmailChangeRequest', { userId: user.id });
}

/**
 * Confirms an email change with the link mailed to the new address. One transaction moves the
 * email-uniqueness item, updates the user (only while its address is still the one the link was
 * made for) and consumes the link; the old address gets a notice. 409 email_taken when another
 * account claimed the address meanwhile; every dead link (unknown, expired, used, account gone or
 * already moved) is 400 invalid_token.
 */
export async function confirmEmailChange(ctx: AuthContext, input: { token: string }): Promise<PublicUser> {
  const link = await ctx.users.findEmailChangeToken(hashVerificationToken(input.token));
  if (!link || link.expiresAt <= ctx.now()) throw new ApiError('invalid_token');
  const user = await ctx.users.findById(link.userId);
  if (!user || user.email !== link.oldEmail) throw new ApiError('invalid_token');

  const outcome = await ctx.users.confirmEmailChange(link, { kind: 'email_changed', email: link.oldEmail, newEmail: link.newEmail }, ctx.now());
  if (outcome === 'invalid_token') throw new ApiError('invalid_token');
  if (outcome === 'email_taken') throw new ApiError('email_taken', { errors: [{ field: 'newEmail', message: 'belongs to another account' }] });
  recordSecurityEvent('EmailChange', { userId: user.id });
  return publicUser({ ...user, email: link.newEmail });
}

/**
 * Deletes the signed-in user's account after re-authentication: the user and its uniqueness items
 * (the address and username are free again) and the notice in one transaction, then every session
 * revoked. Revoking after the delete means a refresh racing it still finds its session revoked;
 * pending mailed links die because they are checked against the (now missing) user.
 */
export async function deleteAccount(ctx: AuthContext, caller: Caller, input: { password: string }): Promise<void> {
  const user = await reauthenticate(ctx, caller.userId, input.password);
  if (!(await ctx.users.deleteAccount(user, { kind: 'account_deleted', email: user.email }, ctx.now()))) throw new ApiError('unauthorized');
  const revoked = await ctx.sessions.revokeAllOfUser(user.id, ctx.now());
  await ctx.sessions.revoke(caller.sessionId, ctx.now());
  recordSecurityEvent('AccountDeletion', { userId: user.id });
  logger.info('account deleted', { userId: user.id, sessions: revoked });
}
