import { logger } from '../observability';
import type { AuthContext } from './context';
import { recordEvent } from './events';
import { revokeEverySession } from './recent-sessions';
import type { SessionClient } from './session-client';
import { requireLiveCaller } from './sessions';

/**
 * Ends this session, or every session of the user. Tokens of a revoked session stop working at
 * refresh and in the authorizer. The caller's session is read again first: a token the
 * authorizer's cache still lets through after its session was revoked cannot log anyone out (401).
 */
export async function logout(ctx: AuthContext, auth: { userId: string; sessionId: string }, scope: 'session' | 'all', client: SessionClient = {}): Promise<void> {
  await requireLiveCaller(ctx, auth);
  if (scope === 'all') {
    const revoked = await revokeEverySession(ctx, auth.userId);
    // Whatever the index and the user item list, make sure the calling session is gone.
    await Promise.all([ctx.sessions.revoke(auth.sessionId, ctx.now()), recordEvent(ctx, auth.userId, 'signed_out_everywhere', client)]);
    logger.info('logged out everywhere', { userId: auth.userId, sessions: revoked });
    return;
  }
  await ctx.sessions.revoke(auth.sessionId, ctx.now());
}
