import { logger } from '../observability';
import type { AuthContext } from './context';

/** Ends this session, or every session of the user. Tokens of a revoked session stop working at refresh and in the authorizer. */
export async function logout(ctx: AuthContext, auth: { userId: string; sessionId: string }, scope: 'session' | 'all'): Promise<void> {
  if (scope === 'all') {
    const revoked = await ctx.sessions.revokeAllOfUser(auth.userId, ctx.now());
    // The index is eventually consistent: make sure the calling session is gone whatever it returned.
    await ctx.sessions.revoke(auth.sessionId, ctx.now());
    logger.info('logged out everywhere', { userId: auth.userId, sessions: revoked });
    return;
  }
  await ctx.sessions.revoke(auth.sessionId, ctx.now());
}
