import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import { firstValidRefreshToken } from '../tokens/refresh-token';
import type { AuthContext } from './context';
import type { SessionClient } from './session-client';
import { decideRefresh, sessionState } from './session-rules';
import { issueTokens, type IssuedTokens } from './tokens';

/**
 * Rotates the refresh token with one conditional write that carries every check. Of N
 * simultaneous refreshes with one token exactly one advances the generation; the others are
 * refused and learn from the refused write what the winner stored: the just-replaced token
 * inside the grace window gets the same successor. Any older token revokes the whole session.
 * With several refresh cookies (say a stale one on a wider path), the first one we issued counts.
 */
export async function refreshSession(ctx: AuthContext, presentedTokens: readonly string[], client: SessionClient = {}): Promise<IssuedTokens> {
  const claims = await firstValidRefreshToken(presentedTokens);
  if (!claims) {
    if (presentedTokens.length) recordSecurityEvent('InvalidRefreshToken');
    throw new ApiError('invalid_refresh_token');
  }

  const now = ctx.now();
  const outcome = await ctx.sessions.rotate(claims.sessionId, claims.generation, now, ctx.config.SESSION_IDLE_TIMEOUT_SECONDS * 1000, client);
  if (outcome.rotated) return issueTokens(ctx, outcome.session, outcome.session.generation);

  // Refused: the session as it was tells why, in the order the rules give.
  const session = outcome.current;
  if (!session) throw new ApiError('invalid_refresh_token');
  const state = sessionState(session, now, ctx.config);
  if (state === 'revoked') throw new ApiError('invalid_refresh_token');
  if (state === 'expired') throw new ApiError('session_expired');

  const decision = decideRefresh(session, claims.generation, now, ctx.config.REFRESH_GRACE_SECONDS);
  if (decision.kind === 'grace') return issueTokens(ctx, session, decision.successor);
  if (decision.kind === 'reuse') {
    await ctx.sessions.revoke(session.id, now);
    recordSecurityEvent('RefreshTokenReuse', { userId: session.userId, sessionId: session.id });
    throw new ApiError('refresh_token_reused');
  }
  // A live session at this generation cannot refuse the write; never hand out tokens on a guess.
  throw new ApiError('invalid_refresh_token');
}
