import { ApiError, OUTAGE_RETRY_AFTER_SECONDS } from '../errors';
import type { MailIntent } from '../outbox';
import type { SessionRecord, SessionStart, UserRecord } from '../stores';
import type { AuthContext } from './context';

/**
 * Revoking every session of a user (reset, password change, deletion, logout everywhere) lists
 * them through the sessions-by-user index, which is eventually consistent: a session written a
 * moment before may not be listed yet, and someone with the old password who logs in again and
 * again could keep one past a reset. So every new session is also recorded on its user item,
 * conditionally on the password it was started with (`startRecordedSession`), and the revocation reads
 * the user item, strongly consistent, for the sessions the index may be missing.
 *
 * Entries older than RECENT_SESSION_MEMORY_MS are dropped by later logins, a few at a time (one
 * extra write per PRUNE_BATCH logins): by then the index lists the session (its lag is about a
 * second), and the user item stays well under 1 KB of entries.
 */
export const RECENT_SESSION_MEMORY_MS = 5 * 60 * 1000;
const PRUNE_BATCH = 5;

export const recentSessionEntry = (session: Pick<SessionRecord, 'id' | 'createdAt'>) => `${session.id} ${session.createdAt}`;

function parse(entry: string): { id: string; createdAt: number } {
  const [id = '', createdAt = '0'] = entry.split(' ');
  return { id, createdAt: Number(createdAt) };
}

/** The session ids the user item remembers. */
export function recentSessionIds(user: Pick<UserRecord, 'recentSessions'> | undefined): string[] {
  return (user?.recentSessions ?? []).map((entry) => parse(entry).id);
}

/** What a sign-in writes beside its session, in the same transaction (see SessionStart). */
export type SessionCompanions = Pick<SessionStart, 'resetAttempts' | 'newDevice' | 'forgetDevices' | 'event' | 'passkeyUse'>;

/**
 * Writes a new session and records it on its user in one transaction, iff the hash is still
 * `verifiedHash`, the one its password was checked against. A reset, password change or deletion
 * may commit meanwhile (while a login hashes, say): either its revocation, reading the user item
 * after its commit, finds this session there, or this transaction sees the change, writes nothing
 * and `refusal` is thrown. No session started with a replaced password (or of a deleted account)
 * survives, and no password-only session of an account that turned two-factor on meanwhile.
 * `alongside` (counters reset, the new device, a passkey's counter, the event) commits with the session or not at all:
 * one DynamoDB call for all of a sign-in's writes.
 *
 * Entries the index has long caught up with are dropped afterwards, a few at a time: not in the
 * transaction (DynamoDB cannot add to and delete from one set in one update), and not beside it
 * (a write racing a transaction on the same item makes one of them fail).
 */
export async function startRecordedSession(
  ctx: AuthContext,
  user: UserRecord,
  session: SessionRecord,
  verifiedHash: string,
  refusal: ApiError,
  alongside: SessionCompanions = {},
): Promise<void> {
  // A code, or a passkey with user verification (something held plus the user's PIN or biometrics).
  const secondFactor = session.amr?.includes('otp') === true || session.amr?.includes('user') === true;
  if (!(await ctx.users.startSession({ session, entry: recentSessionEntry(session), verifiedHash, secondFactor, ...alongside }))) throw refusal;
  const now = ctx.now();
  const stale = (user.recentSessions ?? []).filter((entry) => now - parse(entry).createdAt > RECENT_SESSION_MEMORY_MS);
  // Not needed for correctness: keeps the user item small. A failure is left for a later login.
  if (stale.length >= PRUNE_BATCH) await ctx.users.forgetRecentSessions(user.id, stale).catch(() => undefined);
}

/**
 * Revokes every session of the user (but `except`): those the index lists and those recorded on
 * the user item. Reads the user item after the change that calls it has committed, so every
 * session recorded before that commit is among them; `snapshot` replaces that read for a
 * deletion, which has no user item left to read (it commits only on the snapshot's sessionsVersion).
 */
export async function revokeEverySession(ctx: AuthContext, userId: string, options: { except?: string; snapshot?: UserRecord } = {}): Promise<number> {
  const user = options.snapshot ?? (await ctx.users.findById(userId));
  return ctx.sessions.revokeAllOfUser(userId, ctx.now(), options.except, recentSessionIds(user));
}

/** How often a deletion re-reads the user when logins keep recording sessions meanwhile. */
const DELETE_TRIES = 4;

/**
 * Deletes the account on a snapshot of the user whose recent sessions are complete at the commit:
 * a login that records a session in between makes the deletion fail, and it tries again with a
 * fresh read. Returns the snapshot the deletion committed on; undefined when the account is gone
 * or changed in a way a retry does not fix.
 */
export async function deleteOnCompleteSnapshot(ctx: AuthContext, user: UserRecord, notice: MailIntent): Promise<UserRecord | undefined> {
  let snapshot = user;
  for (let attempt = 1; attempt <= DELETE_TRIES; attempt++) {
    if (await ctx.users.deleteAccount(snapshot, notice, ctx.now())) return snapshot;
    const fresh = await ctx.users.findById(user.id);
    if (!fresh || (fresh.sessionsVersion ?? 0) === (snapshot.sessionsVersion ?? 0)) return undefined;
    snapshot = fresh;
  }
  // Logins land faster than the deletion can commit: like a transaction that kept conflicting, try again later.
  throw new ApiError('service_unavailable', { retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS });
}
