import { ApiError } from '../errors';
import { publicUser, type AuthContext, type PublicUser } from './context';

/** The signed-in user; a token whose user no longer exists is treated as no token. */
export async function currentUser(ctx: AuthContext, userId: string): Promise<PublicUser> {
  const user = await ctx.users.findById(userId);
  if (!user) throw new ApiError('unauthorized');
  return publicUser(user);
}
