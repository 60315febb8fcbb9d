import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { EmailChangeToken, UserRecord } from '../stores';
import { hashVerificationToken } from '../tokens/verification-token';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { eventNow } from './events';
import type { SessionClient } from './session-client';

// Apart from shared/auth/account.ts: the link proves the new address, so this route checks no
// password and no second factor, and its bundle carries neither the hashing nor the TOTP code.

/**
 * Whether the account is still in the state the link was made for: the same address and the same
 * credentialsVersion. Every reset, password change and email change bumps the version, so a link
 * dies with any of them, and an address history A→B→A does not bring it back. (The transaction
 * checks the same again; this spares it for links that are plainly dead.)
 */
export function linkStillBinds(link: Pick<EmailChangeToken, 'oldEmail' | 'credentialsVersion'>, user: Pick<UserRecord, 'email' | 'credentialsVersion'>): boolean {
  return user.email === link.oldEmail && (user.credentialsVersion ?? 0) === link.credentialsVersion;
}

/**
 * Confirms an email change with the link mailed to the new address. One transaction moves the
 * email-uniqueness item, updates the user (only while its address is still the one the link was
 * made for) and consumes the link; the old address gets a notice. 409 email_taken when another
 * account claimed the address meanwhile; every dead link (unknown, expired, used, account gone or
 * already moved) is 400 invalid_token.
 */
export async function confirmEmailChange(ctx: AuthContext, input: { token: string }, client: SessionClient = {}): Promise<PublicUser> {
  const link = await ctx.users.findEmailChangeToken(hashVerificationToken(input.token));
  if (!link || link.expiresAt <= ctx.now()) throw new ApiError('invalid_token');
  const user = await ctx.users.findById(link.userId);
  if (!user || !linkStillBinds(link, user)) throw new ApiError('invalid_token');

  const event = eventNow(ctx, user.id, 'email_changed', client);
  const outcome = await ctx.users.confirmEmailChange(link, { kind: 'email_changed', email: link.oldEmail, newEmail: link.newEmail }, ctx.now(), event);
  if (outcome === 'invalid_token') throw new ApiError('invalid_token');
  if (outcome === 'email_taken') throw new ApiError('email_taken', { errors: [{ field: 'newEmail', message: 'belongs to another account' }] });
  recordSecurityEvent('EmailChange', { userId: user.id });
  return publicUser({ ...user, email: link.newEmail });
}
