import type { SessionClient } from './auth/session-client';

/**
 * The storage the auth rules need, as small interfaces. The DynamoDB implementations live in
 * shared/aws/ (one module each); the rules in shared/auth/ only see these.
 */
export interface PendingVerification {
  tokenHash: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface UserRecord {
  id: string;
  email: string;
  username?: string;
  passwordHash: string;
  emailVerified: boolean;
  /** ISO 8601. */
  createdAt: string;
  verification?: PendingVerification;
}

export interface SessionRecord {
  id: string;
  userId: string;
  /** How many times the refresh token was rotated; the live token is the one of this generation. */
  generation: number;
  /** Epoch milliseconds, as are all times below. */
  createdAt: number;
  lastUsedAt: number;
  absoluteExpiresAt: number;
  /** When `generation` was last advanced: the start of the grace window for the previous token. */
  rotatedAt?: number;
  revokedAt?: number;
  /** The device it was started or last refreshed from (sanitised; see auth/session-client.ts). */
  userAgent?: string;
  ipAddress?: string;
}

export type RotationOutcome = { rotated: true; session: SessionRecord } | { rotated: false; current: SessionRecord | undefined };

export type CreateUserOutcome = 'created' | 'email_taken' | 'username_taken';
export type ReplacePendingOutcome = 'replaced' | 'username_taken' | 'changed_meanwhile';

export interface UserStore {
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /** Creates an unverified user with its email (and username) uniqueness items, atomically. */
  createPending(user: UserRecord & { verification: PendingVerification }): Promise<CreateUserOutcome>;
  /** Re-registration of an unverified email: new password, username and link; earlier links die. */
  replacePending(
    existing: UserRecord,
    update: { passwordHash: string; username?: string; verification: PendingVerification },
  ): Promise<ReplacePendingOutcome>;
  /** Undoes createPending when the verification mail could not be sent. */
  deletePending(user: UserRecord & { verification: PendingVerification }): Promise<void>;
  /** A fresh link for an unverified user; false when the user changed meanwhile. */
  replaceVerification(user: UserRecord, verification: PendingVerification): Promise<boolean>;
  /** The user a verification link belongs to, if the link is current. */
  findByVerificationToken(tokenHash: string): Promise<UserRecord | undefined>;
  /** Marks the email verified, consumes the link and starts the first session, atomically; false if the link was used meanwhile. */
  activate(user: UserRecord, tokenHash: string, firstSession: SessionRecord): Promise<boolean>;
  updatePasswordHash(userId: string, passwordHash: string): Promise<void>;
}

export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  /**
   * Eventually consistent (the authorizer's liveness check: a read may lag a write by about a
   * second, well inside the documented revocation bound). Rotation never decides on a read.
   */
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /**
   * One conditional write: advances the generation iff it is still `from`, the session is not
   * revoked, not idle for `idleTimeoutMs` and not past its absolute end at `now`. Otherwise it
   * writes nothing and answers the session as it was at that moment (undefined when none), so
   * the caller can tell a grace-window repeat from reuse or expiry without a second read.
   * Records the refreshing device in the same write.
   */
  rotate(sessionId: string, from: number, now: number, idleTimeoutMs: number, client?: SessionClient): Promise<RotationOutcome>;
  revoke(sessionId: string, now: number): Promise<void>;
  /**
   * The user's sessions not yet revoked (lifetimes are the caller's to judge), plus `alsoInclude`
   * if it is one of them: the index is eventually consistent, so a session started a moment ago
   * may be missing from it. Full items, read consistently.
   */
  listOfUser(userId: string, alsoInclude?: string): Promise<SessionRecord[]>;
  /** Revokes every live session of a user; returns how many. */
  revokeAllOfUser(userId: string, now: number): Promise<number>;
}

/** A password-attempt counter (see shared/auth/throttle.ts). Times in epoch milliseconds. */
export interface AttemptCounter {
  /** Consecutive attempts not (yet) followed by a success: counted before the hash. */
  failures: number;
  lockedUntil?: number;
  /**
   * Set by the attempt that reaches the limit: until its outcome is known (or this time passes,
   * should it never be), no other attempt is counted, however short its lock.
   */
  settlesBy?: number;
  /** When the failures are forgotten. */
  expiresAt: number;
}

export interface StoredAttempts extends AttemptCounter {
  /** Bumped by every write: the compare-and-set token. */
  version: number;
}

export interface LimitStore {
  /** The counter as stored, forgotten ones included (TTL deletes late); strongly consistent. */
  getAttempts(key: string): Promise<StoredAttempts | undefined>;
  /**
   * Replaces the counter by `next` iff it is still `seen` (absent when undefined), no lock runs
   * past `now` and no attempt is in flight, so no write can shorten a longer lock; false when
   * another request changed it first. The written version is `seen.version + 1` (1 when absent).
   */
  saveAttempts(key: string, seen: StoredAttempts | undefined, next: AttemptCounter, now: number): Promise<boolean>;
  /**
   * The attempt that wrote `version` failed: its lock now runs from `until` and the window opens
   * when that passes. Only if nothing was written since and the lock only gets longer.
   */
  settleFailure(key: string, version: number, until: number, expiresAt: number): Promise<void>;
  /** A success: the count starts again. */
  clearAttempts(key: string): Promise<void>;
  /** Fixed-window counter: the number of hits in the current window, this one included. */
  hit(key: string, windowSeconds: number, now: number): Promise<number>;
}

export interface Mailer {
  sendVerification(to: string, link: string): Promise<void>;
  sendAlreadyRegistered(to: string, loginUrl: string): Promise<void>;
}
