import { ApiError } from '../errors';
import { hashVerificationToken } from '../tokens/verification-token';
import type { AuthContext } from './context';

/**
 * The address a sign-up link would create the account for, so the page can name it before the
 * person chooses a password. Reading uses nothing up; it refuses what completing the sign-up
 * would refuse (unknown, expired or used link, an address with an account by now, or one
 * an account left after the link was made), with the
 * same 400 invalid_token. Only the holder of the mailed token learns the address it was mailed to.
 */
export async function signupAddress(ctx: AuthContext, token: string): Promise<string> {
  const link = await ctx.users.findSignupToken(hashVerificationToken(token));
  if (!link || link.expiresAt <= ctx.now()) throw new ApiError('invalid_token');
  const [account, freedAt] = await Promise.all([ctx.users.findByEmail(link.email), ctx.users.addressFreedAt(link.email)]);
  // The same rules as createAccount's transaction: an account holds the address, or one left it after the link was made.
  if (account || (freedAt !== undefined && freedAt >= (link.issuedAt ?? 0))) throw new ApiError('invalid_token');
  return link.email;
}
