import { ApiError } from '../errors';
import { verifyPassword } from '../passwords';
import type { UserRecord } from '../stores';
import type { AuthContext } from './context';
import { throttledPasswordCheck, throttleKeys } from './throttle';

/**
 * The signed-in user proves it is still them before a change that matters (password, email,
 * deletion): the password through the shared throttle, counted per account. A wrong password is
 * 403 reauthentication_failed, never 401: the session is fine and the client must not drop it.
 * A token whose user no longer exists is treated as no token (401).
 */
export async function reauthenticate(ctx: AuthContext, userId: string, password: string): Promise<UserRecord> {
  const user = await ctx.users.findById(userId);
  if (!user) throw new ApiError('unauthorized');
  const matches = await throttledPasswordCheck(ctx, throttleKeys.account(user.id), () => verifyPassword(password, user.passwordHash), { userId: user.id });
  if (!matches) throw new ApiError('reauthentication_failed');
  return user;
}
