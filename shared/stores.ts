import type { SessionClient } from './auth/session-client';
import type { MailContent } from './mail';
import type { MailIntent } from './outbox';

/**
 * The storage the auth rules need, as small interfaces. The DynamoDB implementations live in
 * shared/aws/ (one module each); the rules in shared/auth/ only see these.
 */
export interface UserRecord {
  id: string;
  email: string;
  username?: string;
  passwordHash: string;
  /** ISO 8601. */
  createdAt: string;
}

/** A mailed sign-up link, stored by the SHA-256 of its token: it names the address it proves. */
export interface SignupToken {
  tokenHash: string;
  email: string;
  /** Epoch milliseconds. */
  expiresAt: number;
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

/** invalid_token: the link was used meanwhile, expired, or its address got an account meanwhile. */
export type CreateAccountOutcome = 'created' | 'invalid_token' | 'username_taken';

export interface UserStore {
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  createSignupToken(token: SignupToken): Promise<void>;
  /** The sign-up link with this hash, if it exists (expiry is the caller's to check). */
  findSignupToken(tokenHash: string): Promise<SignupToken | undefined>;
  /**
   * Consumes the link, creates the user with its email (and username) uniqueness items and its
   * first session, in one transaction: all of it or nothing, so a refused attempt keeps the link.
   */
  createAccount(user: UserRecord, tokenHash: string, firstSession: SessionRecord, now: number): Promise<CreateAccountOutcome>;
  updatePasswordHash(userId: string, passwordHash: string): Promise<void>;
}

export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  /** Strongly consistent: rotation decisions must see the latest generation. */
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /**
   * Advances the generation iff it is still `from` and the session is not revoked; false if another
   * request won. Records the refreshing device in the same write.
   */
  advanceGeneration(sessionId: string, from: number, now: number, client?: SessionClient): Promise<boolean>;
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

export interface LoginAttemptState {
  failures: number;
  /** Epoch milliseconds; absent when not locked. */
  lockedUntil?: number;
}

export interface LimitStore {
  getLoginAttempts(key: string): Promise<LoginAttemptState>;
  /** Counts one more consecutive failure and returns the new count. */
  recordLoginFailure(key: string, now: number): Promise<number>;
  lockLogin(key: string, until: number): Promise<void>;
  clearLoginAttempts(key: string): Promise<void>;
  /** Fixed-window counter: the number of hits in the current window, this one included. */
  hit(key: string, windowSeconds: number, now: number): Promise<number>;
}

/** The request side of the outbox: one PutItem per intent, nothing read. */
export interface Outbox {
  enqueue(intent: MailIntent): Promise<void>;
}

/** The mailer's side of the outbox: the sent-marker and the silent per-address limits. */
export interface IntentStore {
  /** Strongly consistent: a redelivered intent must see the marker its first delivery set. */
  isSent(intentId: string): Promise<boolean>;
  markSent(intentId: string, now: number): Promise<void>;
  /**
   * How many distinct intents were counted under `key` in the current fixed window, this one
   * included. Idempotent per intent, so a retried intent does not use up the limit.
   */
  countInWindow(key: string, intentId: string, windowSeconds: number, now: number): Promise<number>;
}

export interface MailSender {
  send(to: string, mail: MailContent): Promise<void>;
}
