import { ApiError } from '../errors';
import { logger } from '../observability';
import type { SessionRecord } from '../stores';
import type { AuthContext } from './context';
import { sessionState } from './session-rules';
import { recordEvent } from './events';
import type { SessionClient } from './session-client';

/** A session as the caller's session list shows it. */
export interface SessionView {
  id: string;
  /** The session of the access token that asked. */
  current: boolean;
  /** ISO 8601. */
  createdAt: string;
  lastUsedAt: string;
  /** null for a session that recorded none (a client that sent no User-Agent). */
  userAgent: string | null;
  ipAddress: string | null;
}

interface Caller {
  userId: string;
  sessionId: string;
}

/** The caller's live sessions (not revoked, not idle, not past their absolute end), newest first. */
export async function listSessions(ctx: AuthContext, caller: Caller): Promise<SessionView[]> {
  const now = ctx.now();
  const sessions = await ctx.sessions.listOfUser(caller.userId, caller.sessionId);
  return sessions
    .filter((session) => sessionState(session, now, ctx.config) === 'live')
    .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
    .map((session) => viewOf(session, caller.sessionId));
}

function viewOf(session: SessionRecord, currentSessionId: string): SessionView {
  return {
    id: session.id,
    current: session.id === currentSessionId,
    createdAt: new Date(session.createdAt).toISOString(),
    lastUsedAt: new Date(session.lastUsedAt).toISOString(),
    userAgent: session.userAgent ?? null,
    ipAddress: session.ipAddress ?? null,
  };
}

/**
 * Revokes one of the caller's live sessions. Unknown, foreign, revoked and expired ids all cost
 * the same single read and answer the same 404 not_found, so an id of another user cannot be told
 * from one that never existed. Returns whether it was the caller's own session (its cookie goes too).
 */
export async function revokeSession(ctx: AuthContext, caller: Caller, sessionId: string, client: SessionClient = {}): Promise<{ wasCurrent: boolean }> {
  const session = await ctx.sessions.get(sessionId);
  if (!session || session.userId !== caller.userId || sessionState(session, ctx.now(), ctx.config) !== 'live') {
    throw new ApiError('not_found');
  }
  await Promise.all([ctx.sessions.revoke(session.id, ctx.now()), recordEvent(ctx, caller.userId, 'session_revoked', client)]);
  logger.info('session revoked', { userId: caller.userId, sessionId: session.id, current: session.id === caller.sessionId });
  return { wasCurrent: session.id === caller.sessionId };
}
