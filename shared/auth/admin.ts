import { ApiError } from '../errors';
import { logger } from '../observability';
import { roleListProblem } from '../roles';
import { eventView } from '../security-events';
import type { AdminStore } from '../stores';
import type { AuthContext } from './context';
import { publicUser } from './context';
import { eventNow } from './events';
import { deleteOnCompleteSnapshot, recentSessionIds, revokeEverySession } from './recent-sessions';
import type { SessionClient } from './session-client';
import { liveSessionsOfUser } from './sessions';

/**
 * The admin API's rules (routes under /admin, reachable only with IAM credentials). Every change
 * records a security event naming `actor`, the IAM principal's ARN. Nothing here returns a
 * password hash, a two-factor secret, a recovery code or a token.
 */
export interface AdminContext extends AuthContext {
  admin: AdminStore;
}

/** Who made an admin change and from where. */
export interface AdminActor extends SessionClient {
  arn: string;
}

const actorDetails = (actor: AdminActor) => ({ actor: actor.arn, ...(actor.ipAddress ? { ipAddress: actor.ipAddress } : {}), ...(actor.userAgent ? { userAgent: actor.userAgent } : {}) });

async function existingUser(ctx: AdminContext, userId: string) {
  const user = await ctx.users.findById(userId);
  if (!user) throw new ApiError('not_found');
  return user;
}

export const ADMIN_LIST_DEFAULT = 50;
export const ADMIN_LIST_MAX = 100;

export function listUsers(ctx: AdminContext, query: { limit: number; cursor?: string; emailPrefix?: string }) {
  return ctx.admin.listUsers(query.limit, query.emailPrefix, query.cursor).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'InvalidCursorError') {
      throw new ApiError('validation_failed', { errors: [{ field: 'cursor', message: 'must be a cursor from a previous page' }] });
    }
    throw error;
  });
}

export async function getUser(ctx: AdminContext, userId: string) {
  const user = await existingUser(ctx, userId);
  const sessions = await liveSessionsOfUser(ctx, userId);
  return {
    user: publicUser(user),
    roles: [...(user.roles ?? [])],
    disabled: user.disabled === true,
    methods: ['password', ...(user.mfaEnabled ? ['totp'] : [])],
    sessions: sessions.map(({ current: _current, ...session }) => session),
  };
}

/** An invitation is a sign-up link (through the outbox, like register) whose account starts with `roles`. */
export async function inviteUser(ctx: AdminContext, input: { email: string; roles: string[] }, actor: AdminActor): Promise<void> {
  await ctx.outbox.enqueue({ kind: 'signup', email: input.email, ...(input.roles.length ? { roles: input.roles } : {}) });
  logger.info('admin invitation', { actor: actor.arn, roles: input.roles.length });
}

/** Disabling ends every session at once; the login, two-factor and refresh routes refuse the account from then on. */
export async function disableUser(ctx: AdminContext, userId: string, actor: AdminActor): Promise<void> {
  if (!(await ctx.admin.setDisabled(userId, true, eventNow(ctx, userId, 'account_disabled', actorDetails(actor))))) throw new ApiError('not_found');
  await revokeEverySession(ctx, userId);
}

export async function enableUser(ctx: AdminContext, userId: string, actor: AdminActor): Promise<void> {
  if (!(await ctx.admin.setDisabled(userId, false, eventNow(ctx, userId, 'account_enabled', actorDetails(actor))))) throw new ApiError('not_found');
}

/**
 * Replaces the roles; the sessions' copies follow, so each session's next refresh carries them.
 * `revokeSessions` ends every session instead (a removed role then stops at once, not at the
 * next refresh).
 */
export async function setRoles(ctx: AdminContext, userId: string, input: { roles: string[]; revokeSessions?: boolean }, actor: AdminActor): Promise<{ roles: string[] }> {
  const problem = roleListProblem(input.roles);
  if (problem) throw new ApiError('validation_failed', { errors: [{ field: 'roles', message: problem }] });
  const event = eventNow(ctx, userId, 'roles_changed', { ...actorDetails(actor), roles: input.roles });
  if (!(await ctx.admin.setRoles(userId, input.roles, event))) throw new ApiError('not_found');
  // Read after the commit: every session recorded before it is listed here or by the index.
  const user = await ctx.users.findById(userId);
  if (input.revokeSessions) await revokeEverySession(ctx, userId);
  else await ctx.sessions.setRolesOfUser(userId, input.roles, recentSessionIds(user));
  return { roles: input.roles };
}

export async function revokeSessions(ctx: AdminContext, userId: string, actor: AdminActor): Promise<void> {
  await existingUser(ctx, userId);
  await Promise.all([revokeEverySession(ctx, userId), ctx.events.record(eventNow(ctx, userId, 'signed_out_everywhere', actorDetails(actor)))]);
}

/** Turns two-factor off (an owner who lost the authenticator and the codes); the owner gets the notice. */
export async function resetMfa(ctx: AdminContext, userId: string, actor: AdminActor): Promise<void> {
  const state = await ctx.mfa.getState(userId);
  if (!state) throw new ApiError('not_found');
  const wasOn = state.secret !== undefined;
  await ctx.mfa.disable(userId, wasOn ? { kind: 'mfa_disabled', email: state.email } : undefined, ctx.now(), eventNow(ctx, userId, 'mfa_disabled', actorDetails(actor)));
}

/** Deletes the account as its owner would (notice mailed, sessions revoked); the address can sign up again. */
export async function deleteUser(ctx: AdminContext, userId: string, actor: AdminActor): Promise<void> {
  const user = await existingUser(ctx, userId);
  const deleted = await deleteOnCompleteSnapshot(ctx, user, { kind: 'account_deleted', email: user.email });
  if (!deleted) throw new ApiError('not_found');
  await revokeEverySession(ctx, userId, { snapshot: deleted });
  await ctx.identities.forgetAllOfUser(userId).catch((error: unknown) => logger.warn('identity clean-up failed', { userId, error: String(error) }));
  // The account's history goes with it (TTL); the deletion itself is in the logs with its actor.
  logger.info('admin deleted account', { actor: actor.arn, userId });
}

export async function listEvents(ctx: AdminContext, userId: string, query: { limit: number; cursor?: string }) {
  const { events, nextCursor } = await ctx.events.listOfUser(userId, query.limit, ctx.now(), query.cursor);
  return { events: events.map(eventView), ...(nextCursor ? { nextCursor } : {}) };
}
