import { ApiError } from '../errors';
import { logger } from '../observability';
import type { SessionRecord } from '../stores';
import type { AuthContext } from './context';
import { forgetDevice, listTrustedDevices, type DeviceView } from './devices';
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

/**
 * Session and device ids are 128 random bits in base64url: 22 characters. A path parameter of
 * any other shape names nothing, so it is 404 before any store call (a 2,000-character key
 * would otherwise reach DynamoDB and fail there as a 500).
 */
const RANDOM_ID = /^[A-Za-z0-9_-]{22}$/;

function requireIdShape(id: string | undefined): string {
  if (id === undefined || !RANDOM_ID.test(id)) throw new ApiError('not_found');
  return id;
}

/**
 * The authorizer may answer from its cache (30 s on AWS) for a token whose session was revoked
 * since (a reset, a logout elsewhere). The routes that manage sessions and devices therefore read
 * the caller's own session again, strongly consistent, and treat a dead one as no token (401):
 * a revoked session cannot list, revoke or log out anything.
 */
export async function requireLiveCaller(ctx: AuthContext, caller: Caller): Promise<SessionRecord> {
  const session = await ctx.sessions.get(caller.sessionId, { consistent: true });
  if (!session || session.userId !== caller.userId || sessionState(session, ctx.now(), ctx.config) !== 'live') throw new ApiError('unauthorized');
  return session;
}

/** The caller's live sessions (not revoked, not idle, not past their absolute end), newest first, and the devices the account trusts. */
export async function listSessions(ctx: AuthContext, caller: Caller): Promise<{ sessions: SessionView[]; devices: DeviceView[] }> {
  const now = ctx.now();
  const [sessions, user] = await Promise.all([ctx.sessions.listOfUser(caller.userId, caller.sessionId), ctx.users.findById(caller.userId)]);
  const live = sessions.filter((session) => sessionState(session, now, ctx.config) === 'live');
  // The list read the caller's session consistently: if it is not among the live ones, the caller is no longer signed in.
  if (!user || !live.some((session) => session.id === caller.sessionId)) throw new ApiError('unauthorized');
  return {
    sessions: live.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id)).map((session) => viewOf(session, caller.sessionId)),
    devices: listTrustedDevices(user, now),
  };
}

/** A user's live sessions as the admin API shows them, newest first: no caller, so none is current. */
export async function liveSessionsOfUser(ctx: AuthContext, userId: string): Promise<SessionView[]> {
  const now = ctx.now();
  const sessions = await ctx.sessions.listOfUser(userId);
  return sessions
    .filter((session) => sessionState(session, now, ctx.config) === 'live')
    .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
    .map((session) => viewOf(session, ''));
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
export async function revokeSession(ctx: AuthContext, caller: Caller, sessionId: string | undefined, client: SessionClient = {}): Promise<{ wasCurrent: boolean }> {
  const id = requireIdShape(sessionId);
  const [, session] = await Promise.all([requireLiveCaller(ctx, caller), ctx.sessions.get(id)]);
  if (!session || session.userId !== caller.userId || sessionState(session, ctx.now(), ctx.config) !== 'live') {
    throw new ApiError('not_found');
  }
  await Promise.all([ctx.sessions.revoke(session.id, ctx.now()), recordEvent(ctx, caller.userId, 'session_revoked', client)]);
  logger.info('session revoked', { userId: caller.userId, sessionId: session.id, current: session.id === caller.sessionId });
  return { wasCurrent: session.id === caller.sessionId };
}

/** Ends the trust of one of the caller's devices (its device cookie counts on the shared counters again). 404 not_found unless it is one of theirs. */
export async function revokeDevice(ctx: AuthContext, caller: Caller, deviceId: string | undefined): Promise<void> {
  const id = requireIdShape(deviceId);
  await requireLiveCaller(ctx, caller);
  await forgetDevice(ctx, caller.userId, id);
}
