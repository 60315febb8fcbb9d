import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import { readRefreshToken } from '../tokens/refresh-token';
import type { AuthContext } from './context';
import type { SessionClient } from './session-client';
import { decideRefresh, sessionState } from './session-rules';
import { issueTokens, type IssuedTokens } from './tokens';

/**
 * Rotates the refresh token. Of N simultaneous refreshes with one token exactly one advances the
 * generation (conditional write); the others see the just-replaced token inside the grace window
 * and get the same successor. Any older token revokes the whole session.
 */
export async function refreshSession(ctx: AuthContext, presentedToken: string | undefined, client: SessionClient = {}): Promise<IssuedTokens> {
  const claims = await readRefreshToken(presentedToken);
  if (!claims) {
    if (presentedToken) recordSecurityEvent('InvalidRefreshToken');
    throw new ApiError('invalid_refresh_token');
  }

  let session = await ctx.sessions.get(claims.sessionId);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!session) throw new ApiError('invalid_refresh_token');
    const state = sessionState(session, ctx.now(), ctx.config);
    if (state === 'revoked') throw new ApiError('invalid_refresh_token');
    if (state === 'expired') throw new ApiError('session_expired');

    const decision = decideRefresh(session, claims.generation, ctx.now(), ctx.config.REFRESH_GRACE_SECONDS);
    if (decision.kind === 'grace') return issueTokens(ctx, session, decision.successor);
    if (decision.kind === 'reuse') {
      await ctx.sessions.revoke(session.id, ctx.now());
      recordSecurityEvent('RefreshTokenReuse', { userId: session.userId, sessionId: session.id });
      throw new ApiError('refresh_token_reused');
    }
    if (await ctx.sessions.advanceGeneration(session.id, claims.generation, ctx.now(), client)) {
      return issueTokens(ctx, session, claims.generation + 1);
    }
    // Lost the race to a simultaneous refresh: decide again against what it wrote.
    session = await ctx.sessions.get(claims.sessionId);
  }
  throw new ApiError('invalid_refresh_token');
}
