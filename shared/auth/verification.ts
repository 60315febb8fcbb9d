import { ApiError } from '../errors';
import { hashVerificationToken } from '../tokens/verification-token';
import { publicUser, type AuthContext, type PublicUser } from './context';
import type { SessionClient } from './session-client';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

/**
 * Consumes a verification link: activates the account and starts its first session in one
 * transaction. Unknown, expired, superseded and used links all answer the same 400 invalid_token.
 */
export async function verifyEmail(ctx: AuthContext, token: string, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  const tokenHash = hashVerificationToken(token);
  const user = await ctx.users.findByVerificationToken(tokenHash);
  if (!user || user.emailVerified || !user.verification || user.verification.expiresAt <= ctx.now()) throw new ApiError('invalid_token');
  const session = newSession(ctx, user.id, client);
  if (!(await ctx.users.activate(user, tokenHash, session))) throw new ApiError('invalid_token');
  return { user: publicUser({ ...user, emailVerified: true }), tokens: await issueTokens(ctx, session, session.generation) };
}
