import { ApiError } from '../errors';
import { hashVerificationToken } from '../tokens/verification-token';
import type { AuthContext } from './context';

/**
 * The address a sign-up link would create the account for, so the page can name it before the
 * person chooses a password. Reading uses nothing up; it refuses what completing the sign-up
 * would refuse (unknown, expired or used link, or an address with an account by now), with the
 * same 400 invalid_token. Only the holder of the mailed token learns the address it was mailed to.
 */
export async function signupAddress(ctx: AuthContext, token: string): Promise<string> {
  const link = await ctx.users.findSignupToken(hashVerificationToken(token));
  if (!link || link.expiresAt <= ctx.now()) throw new ApiError('invalid_token');
  if (await ctx.users.findByEmail(link.email)) throw new ApiError('invalid_token');
  return link.email;
}
