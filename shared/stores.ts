import type { SessionClient } from './auth/session-client';
import type { MailContent } from './mail';
import type { MailIntent } from './outbox';
import type { SecurityEventRecord } from './security-events';

/**
 * The storage the auth rules need, as small interfaces. The DynamoDB implementations live in
 * shared/aws/ (one module each); the rules in shared/auth/ only see these.
 */
export interface UserRecord {
  id: string;
  email: string;
  username?: string;
  /** Empty for an account without a password (created through an identity provider): no password matches it. */
  passwordHash: string;
  /** ISO 8601. */
  createdAt: string;
  /** Two-factor is on: a login needs a second step (shared/auth/mfa.ts). */
  mfaEnabled?: boolean;
  /**
   * Bumped by every password reset, password change and email change (absent = 0). A reset link
   * records the value it was made for, so any of those, or a deletion, makes it useless.
   */
  credentialsVersion?: number;
  /**
   * Sessions started in the last minutes, as "<sessionId> <createdAt ms>", recorded on the user
   * after the session was written (shared/auth/recent-sessions.ts): revoking every session reads
   * them here, because the sessions-by-user index may not list a new session yet.
   */
  recentSessions?: readonly string[];
  /** Bumped with every recorded session (absent = 0): a deletion commits only on the snapshot it revokes. */
  sessionsVersion?: number;
  /** Role names (shared/roles.ts), carried in the access token; absent = none. */
  roles?: readonly string[];
  /** Set by an admin: no sign-in by any method, no refresh (shared/auth/admin.ts). */
  disabled?: boolean;
  /** Bumped by every identity linked or unlinked (absent = 0): an unlink commits only on the methods it judged. */
  identitiesVersion?: number;
  /** The browsers that signed in (shared/auth/devices.ts), oldest first: recorded on the user, read with it. */
  devices?: readonly DeviceRecord[];
}

/** A mailed password-reset link, by the SHA-256 of its token. */
export interface ResetToken {
  tokenHash: string;
  userId: string;
  /** The user's credentialsVersion when the link was made: the reset needs it unchanged. */
  credentialsVersion: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * A mailed email-change link: valid while the account's address is still `oldEmail` AND its
 * credentialsVersion is still the one of the request that asked for it, so a reset, password
 * change, other email change (even one that comes back to `oldEmail`) or deletion kills it.
 */
export interface EmailChangeToken {
  tokenHash: string;
  userId: string;
  oldEmail: string;
  newEmail: string;
  /** The user's credentialsVersion when the change was asked for (after re-authentication). */
  credentialsVersion: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type ConfirmEmailOutcome = 'changed' | 'invalid_token' | 'email_taken';

/**
 * A mailed sign-up link, stored by the SHA-256 of its token: it names the address it proves. It
 * works only while no account has held its address since it was made (see `addressFreedAt`).
 */
export interface SignupToken {
  tokenHash: string;
  email: string;
  /** Epoch milliseconds; absent on links made before this was recorded (they count as made at 0). */
  issuedAt?: number;
  /** An admin's invitation: the roles the account starts with. */
  roles?: readonly string[];
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
  /** How the user proved who they are when the session began: the access tokens' `amr`. */
  amr?: readonly AuthMethod[];
  /** The user's roles, copied for the access tokens; rewritten by a role change. */
  roles?: readonly string[];
}

/**
 * Authentication methods references (RFC 8176): a password, then possibly a one-time code; or a
 * passkey, `hwk` when bound to its device, `swk` when synced, with `user` for its user verification;
 * `mail` (not in RFC 8176's registry) for a mailed sign-in link or code; `fed` (neither) for a sign-in
 * through an identity provider.
 */
export type AuthMethod = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'mail' | 'fed';

export type RotationOutcome = { rotated: true; session: SessionRecord } | { rotated: false; current: SessionRecord | undefined };

/** invalid_token: the link was used meanwhile, expired, or its address got an account meanwhile. */
export type CreateAccountOutcome = 'created' | 'invalid_token' | 'username_taken';

/** A session to start and what the sign-in that earned it writes beside it (see UserStore.startSession). */
export interface SessionStart {
  session: SessionRecord;
  /** The session's entry in the user's recent sessions (shared/auth/recent-sessions.ts). */
  entry: string;
  /** The hash the password was checked against (for other methods: the one read with the account). */
  verifiedHash: string;
  /** The session was started with a second factor: a code, or a passkey with user verification. */
  secondFactor: boolean;
  /** Attempt counters (throttle keys) the success resets. */
  resetAttempts?: readonly string[];
  /** The browser signing in, recorded as a new device of the account. */
  newDevice?: DeviceRecord;
  /** Devices of the account to forget (beyond the cap). */
  forgetDevices?: readonly string[];
  event?: SecurityEventRecord;
  /** A passkey sign-in: the credential's new counter, written iff the counter rule still holds against what is stored. */
  passkeyUse?: PasskeyUse;
}

/** A verified passkey assertion's use of its credential, to record (see PasskeyStore.recordUse). */
export interface PasskeyUse {
  userId: string;
  credentialId: string;
  /** The counter the assertion presented. */
  counter: number;
  backedUp: boolean;
  usedAt: number;
}

export interface UserStore {
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /**
   * A login with a device cookie: the identifier's uniqueness item and the account the cookie
   * names (its devices with it), in one strongly consistent BatchGetItem (one call instead of two).
   * When the identifier points at another account, that one is read after, and the cookie's
   * device is not answered (it is not a device of this account).
   */
  findWithDevice(kind: 'email' | 'username', identifier: string, cookie: { userId: string; deviceId: string }): Promise<{ user?: UserRecord; device?: DeviceRecord }>;
  /** Forgets one device of the user (its cookie is no longer trusted); false when it was not recorded. */
  forgetDevice(userId: string, deviceId: string): Promise<boolean>;
  /** A passkey assertion's account and credential, in one strongly consistent BatchGetItem (one call instead of two). */
  findWithPasskey(userId: string, credentialId: string): Promise<{ user?: UserRecord; passkey?: PasskeyRecord }>;
  createSignupToken(token: SignupToken): Promise<void>;
  /** The sign-up link with this hash, if it exists (expiry is the caller's to check). */
  findSignupToken(tokenHash: string): Promise<SignupToken | undefined>;
  /** When an account last left this address (deleted, or moved elsewhere), if within memory: links made before are dead. */
  addressFreedAt(email: string): Promise<number | undefined>;
  /**
   * Consumes the link, creates the user with its email (and username) uniqueness items and its
   * first session, in one transaction: all of it or nothing, so a refused attempt keeps the link.
   * 'invalid_token' also when an account left the address after the link was made (deleted, or
   * moved to another address): a link made before that account is dead for good.
   */
  createAccount(user: UserRecord, link: SignupToken, firstSession: SessionRecord, now: number): Promise<CreateAccountOutcome>;
  /**
   * Replaces the hash iff it is still `replacing` (a reset or change that committed meanwhile is
   * never undone by an upgrade of the old password's hash); false when it was not.
   */
  updatePasswordHash(userId: string, passwordHash: string, replacing: string): Promise<boolean>;
  /**
   * Starts a session in one transaction: writes it and records it among the user's recent
   * sessions, iff the stored hash is still `verifiedHash`, the account is not disabled and,
   * without `secondFactor` (a password-only session), two-factor is still off. What the sign-in
   * writes beside it (counters reset, a new device, old devices forgotten, the event) commits with
   * it or not at all. False when a condition failed: a reset, password change, deletion, disabling
   * or two-factor turned on committed meanwhile, or a passkey's counter moved on meanwhile (a
   * parallel use), and nothing was written. Either that change's revocation reads the entry, or
   * this transaction sees the change.
   */
  startSession(start: SessionStart): Promise<boolean>;
  /** Drops entries from the user's recent sessions (those no longer needed); nothing if the user is gone. */
  forgetRecentSessions(userId: string, entries: readonly string[]): Promise<void>;

  createResetToken(token: ResetToken): Promise<void>;
  findResetToken(tokenHash: string): Promise<ResetToken | undefined>;
  /**
   * One transaction: consumes the link (still there, not expired), sets the hash and bumps
   * credentialsVersion iff it is still the link's (so every other reset link dies), writes the
   * notice. False when any condition failed (used, expired, superseded, account gone).
   */
  resetPassword(token: ResetToken, passwordHash: string, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean>;
  /**
   * One transaction: the new hash (and a bumped credentialsVersion) iff the stored hash is still
   * the one just verified, plus the notice. False when the account changed or went meanwhile.
   */
  changePassword(user: UserRecord, passwordHash: string, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean>;

  createEmailChangeToken(token: EmailChangeToken): Promise<void>;
  findEmailChangeToken(tokenHash: string): Promise<EmailChangeToken | undefined>;
  /**
   * One transaction: consumes the link, moves the email-uniqueness item from the old address to
   * the new one (which must be free), updates the user iff its address is still the old one and
   * its credentialsVersion still the link's (bumping it), records the old address as freed, and
   * writes the notice to the old address.
   */
  confirmEmailChange(token: EmailChangeToken, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<ConfirmEmailOutcome>;
  /**
   * One transaction: the user, its uniqueness items and the notice, iff its sessionsVersion is
   * still the one of `user` (no session was recorded since it was read), and the address recorded
   * as freed. False otherwise, or when it was gone already.
   */
  deleteAccount(user: UserRecord, notice: MailIntent, now: number): Promise<boolean>;
}

export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  /**
   * Eventually consistent unless `consistent` (the authorizer's liveness check: a read may lag a
   * write by about a second, well inside the documented revocation bound; the session-management
   * routes re-check their caller strongly). Rotation never decides on a read.
   */
  get(sessionId: string, options?: { consistent?: boolean }): Promise<SessionRecord | undefined>;
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
  /**
   * Revokes every live session of a user the index lists, and the sessions `alsoRevoke` names
   * (the index may not list those yet), but `except` when given; returns how many.
   */
  revokeAllOfUser(userId: string, now: number, except?: string, alsoRevoke?: readonly string[]): Promise<number>;
  /** Rewrites the roles copy of every unrevoked session of the user the index lists and of `alsoSet`: the next refresh carries them. */
  setRolesOfUser(userId: string, roles: readonly string[], alsoSet?: readonly string[]): Promise<void>;
}

/**
 * A browser that signed in to the account (its device cookie names it): login counts attempts
 * from it on its own counter while it is trusted. Stored on the user item; times in epoch ms.
 */
export interface DeviceRecord {
  id: string;
  userId: string;
  createdAt: number;
  /** The user's credentialsVersion when the device signed in: a reset, password or email change ends its trust. */
  credentialsVersion: number;
  /** When the device cookie ends (the record is forgotten by the next sign-in from a new browser after that). */
  expiresAt: number;
  userAgent?: string;
  ipAddress?: string;
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

export type AttemptIncrement = { counted: StoredAttempts } | { stored: StoredAttempts | undefined };

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
   * Counts one attempt in one conditional write iff the counter is absent, or remembered at `now`
   * with fewer than `below` failures, no lock running and no attempt in flight: the attempts that
   * need nothing decided but "one more" (failures + 1, version + 1, forgotten at `expiresAt`, no
   * lock). Answers the counter as written, or, when it wrote nothing, the counter as stored.
   */
  incrementAttempts(key: string, below: number, expiresAt: number, now: number): Promise<AttemptIncrement>;
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

/**
 * A user's two-factor state, from the user item. Secrets are AES-256-GCM ciphertexts
 * (shared/auth/mfa-crypto.ts); recovery codes are SHA-256 hashes, each usable once.
 */
export interface MfaState {
  email: string;
  /** The secret of an enrollment waiting for its first code. */
  pendingSecret?: string;
  /** The confirmed secret: two-factor is on. */
  secret?: string;
  /** The last time step a code was accepted for: no step is accepted twice. */
  lastUsedStep?: number;
  recoveryCodeHashes: string[];
}

/** The sign-in half-done: the password was right, a second factor is missing. Times in epoch ms. */
export interface MfaChallenge {
  tokenHash: string;
  userId: string;
  /** The user's credentialsVersion when the password was checked: a reset or change meanwhile kills the challenge. */
  credentialsVersion: number;
  expiresAt: number;
  attempts: number;
  /** The trusted device the password came from, if any: its codes count on that device's counter. */
  deviceId?: string;
}

export interface MfaStore {
  /** Strongly consistent; undefined when the user does not exist. */
  getState(userId: string): Promise<MfaState | undefined>;
  /** Stores (or replaces) the pending secret; false when two-factor is already on. */
  setPending(userId: string, encryptedSecret: string): Promise<boolean>;
  /**
   * Turns two-factor on with the pending secret it was shown, the step its first code used and
   * the recovery codes' hashes, and writes the notice, in one transaction; false when that
   * pending secret is no longer there (replaced by a newer enroll, or confirmed meanwhile).
   */
  enable(userId: string, pendingSecret: string, step: number, recoveryCodeHashes: string[], notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean>;
  /** Records `step` as used iff `secret` is still the active one and no later or equal step was used: one winner per step. */
  useStep(userId: string, secret: string, step: number): Promise<boolean>;
  /** Removes one recovery code's hash and writes the notice, in one transaction; false when it was not (or no longer) there. */
  useRecoveryCode(userId: string, codeHash: string, notice: MailIntent, now: number, event?: SecurityEventRecord): Promise<boolean>;
  /** Replaces the recovery codes iff two-factor is on with `secret`. */
  replaceRecoveryCodes(userId: string, secret: string, recoveryCodeHashes: string[]): Promise<boolean>;
  /** Turns two-factor off (and drops a pending enrollment); the notice goes with it when it was on. */
  disable(userId: string, notice: MailIntent | undefined, now: number, event?: SecurityEventRecord): Promise<void>;
  createChallenge(challenge: MfaChallenge): Promise<void>;
  /** Counts one attempt iff the challenge exists, is not expired and has attempts left; its user and credentialsVersion, else undefined. */
  claimChallengeAttempt(tokenHash: string, maxAttempts: number, now: number): Promise<Pick<MfaChallenge, 'userId' | 'credentialsVersion' | 'deviceId'> | undefined>;
  /** Deletes the challenge; false when another request used it first. */
  consumeChallenge(tokenHash: string): Promise<boolean>;
}

/**
 * A single-use challenge or flow state (a WebAuthn challenge today; later sign-in methods keep
 * their flows here too), stored under the SHA-256 of its secret. Times in epoch milliseconds.
 */
export interface ChallengeRecord {
  hash: string;
  /** What it may be used for: a challenge made for one purpose never serves another. */
  purpose: 'passkey_register' | 'passkey_login' | 'oauth_flow' | 'identity_link';
  /** The signed-in user it was made for, when it was made for one. */
  userId?: string;
  expiresAt: number;
  /** oauth_flow: the provider flow's state (shared/auth/federation.ts), keyed by the SHA-256 of `state`. */
  flow?: OAuthFlowState;
  /** identity_link: the identity the mailed "connect <provider>?" link offers to the account `userId`. */
  identity?: NewIdentity;
}

/** What a provider flow remembers between its start and its callback. */
export interface OAuthFlowState {
  provider: string;
  /** PKCE code verifier. */
  verifier: string;
  nonce: string;
  /** A same-site path on APP_URL. */
  returnTo: string;
  intent: 'signin' | 'link';
  /** SHA-256 of the flow cookie's value: the callback must come from the browser that started. */
  browserBinding: string;
}

/** An identity at a provider: who it is there and the address the provider vouches for (if any). */
export interface NewIdentity {
  provider: string;
  subject: string;
  /** The address the provider gave, lower-cased; may be unverified. */
  email?: string;
}

/** An identity linked to an account. Times in epoch milliseconds. */
export interface IdentityRecord extends NewIdentity {
  /** Random, shape-checked in paths (DELETE /auth/identities/{id}). */
  id: string;
  userId: string;
  linkedAt: number;
}

export type LinkIdentityOutcome = 'linked' | 'identity_taken' | 'provider_taken' | 'account_changed';
export type CreateFederatedAccountOutcome = 'created' | 'address_taken' | 'identity_taken';

/**
 * Identities: a pointer per (provider, subject) naming its account, and an item per identity under
 * the account (one per provider). Every change writes both in one transaction.
 */
export interface IdentityStore {
  /** The account an identity belongs to, strongly consistent (the account may be gone: a stale pointer). */
  findBySubject(provider: string, subject: string): Promise<{ userId: string; id: string } | undefined>;
  /** Every identity of the user, strongly consistent. */
  listOfUser(userId: string): Promise<IdentityRecord[]>;
  /**
   * Links the identity to an existing account, with its notice and event, in one transaction: only
   * while the account exists, is not disabled (and still has `requireEmail`, for a mailed link) and
   * has no identity of this provider, and while no live account holds the identity (`staleOwner`:
   * a pointer left by a deleted account may be replaced).
   */
  link(identity: IdentityRecord, notice: MailIntent, event: SecurityEventRecord, now: number, options?: { requireEmail?: string; staleOwner?: string }): Promise<LinkIdentityOutcome>;
  /** A new account without a password, its address and its identity, in one transaction. */
  createAccount(user: UserRecord, identity: IdentityRecord, event: SecurityEventRecord, options?: { staleOwner?: string }): Promise<CreateFederatedAccountOutcome>;
  /**
   * Unlinks the identity with its notice and event, in one transaction, iff the user's sign-in
   * methods are still those the caller judged (`methodsVersion`): two unlinks racing cannot both
   * pass the last-method check. False when the identity or that version is gone.
   */
  unlink(identity: IdentityRecord, methodsVersion: number, notice: MailIntent, event: SecurityEventRecord, now: number): Promise<boolean>;
  /** Deletes every identity of the user (the account is gone): pointer and item alike. */
  forgetAllOfUser(userId: string): Promise<void>;
}

export interface ChallengeStore {
  create(challenge: ChallengeRecord): Promise<void>;
  /**
   * Deletes the challenge iff it is there and not expired at `now`, answering it as it was: one
   * conditional delete, so of two parallel uses exactly one gets it. Undefined otherwise.
   */
  consume(hash: string, now: number): Promise<ChallengeRecord | undefined>;
}

/** A WebAuthn credential (passkey) of a user. Times in epoch milliseconds. */
export interface PasskeyRecord {
  /** The credential id, base64url. */
  id: string;
  userId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
  aaguid: string;
  /** The credential may be synced to other devices (BE flag). */
  backupEligible: boolean;
  /** It is synced now (BS flag). */
  backedUp: boolean;
  name: string;
  createdAt: number;
  lastUsedAt?: number;
}

export interface PasskeyStore {
  /** Strongly consistent. */
  get(userId: string, credentialId: string): Promise<PasskeyRecord | undefined>;
  /** Every passkey of the user, strongly consistent. */
  listOfUser(userId: string): Promise<PasskeyRecord[]>;
  /** Stores the passkey, its notice and its security event in one transaction; false when that credential id is already stored for the user. */
  create(passkey: PasskeyRecord, notice: MailIntent, now: number, event: SecurityEventRecord): Promise<boolean>;
  /**
   * Records a use: the new counter and lastUsedAt, iff the counter rule still holds against what is
   * stored (a parallel use of the same counter value loses). False otherwise, or when it is gone.
   * A sign-in records it in its session's transaction instead (SessionStart.passkeyUse).
   */
  recordUse(use: PasskeyUse): Promise<boolean>;
  /** Deletes the passkey and writes its notice and security event in one transaction; false when it was not there. */
  remove(userId: string, credentialId: string, notice: MailIntent, now: number, event: SecurityEventRecord): Promise<boolean>;
  /** Deletes every passkey of the user, no notice (the account is gone). */
  forgetAllOfUser(userId: string): Promise<void>;
}

/**
 * A mailed sign-in (link or code), stored under the SHA-256 of its token or of `<email>:<code>`.
 * It works while the user's email sign-in version is still `signinVersion`: a success bumps it,
 * so every other link and code of the account dies with it. Times in epoch milliseconds.
 */
export interface EmailSignin {
  userId: string;
  signinVersion: number;
  expiresAt: number;
}

export interface EmailSigninStore {
  /** The user's email sign-in version (absent = 0), strongly consistent; undefined when the user is gone. */
  versionOf(userId: string): Promise<number | undefined>;
  /**
   * Stores the link and the code of one mail (each under its hash), and gives the address's code a
   * fresh attempt budget (under `addressHash`) that lives as long as the code.
   */
  create(linkHash: string, codeHash: string, addressHash: string, signin: EmailSignin): Promise<void>;
  /** Deletes the link or code iff it is there and not expired: one conditional delete, one winner. */
  consume(hash: string, now: number): Promise<EmailSignin | undefined>;
  /**
   * Counts one code attempt for the address iff its budget has fewer than `maxAttempts` and has not
   * expired: one conditional update, so parallel attempts never get more than `maxAttempts`.
   */
  claimCodeAttempt(addressHash: string, maxAttempts: number, now: number): Promise<boolean>;
  /** Bumps the user's email sign-in version iff it is still `signinVersion`: one winner among a mail's link and code and every other. */
  complete(userId: string, signinVersion: number): Promise<boolean>;
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
   * Marks the intent decided (as markSent does, so a redelivery skips it) and records why SES
   * refused it for good: the operator finds the reason on the intent item.
   */
  markRejected(intentId: string, reason: string, now: number): Promise<void>;
  /**
   * Counts this intent under `key` in the current fixed window, unless `limit` other intents are
   * counted there already: true when it is (or already was) counted, false when the window is
   * full. Idempotent per intent, so a retried intent does not use up the limit.
   */
  claimInWindow(key: string, intentId: string, windowSeconds: number, limit: number, now: number): Promise<boolean>;
  /**
   * A plain counter for a cap over many intents (one item, so no id set): true when it counted
   * one more below `limit`, false when the window is full. A redelivered intent counts again.
   */
  countInCappedWindow(key: string, windowSeconds: number, limit: number, now: number): Promise<boolean>;
}

export interface MailSender {
  /** Throws MailRejected when the provider refuses this mail for good; any other error is worth a retry. */
  send(to: string, mail: MailContent): Promise<void>;
}

/** A user's security events (shared/security-events.ts). */
export interface SecurityEventStore {
  /** One PutItem: for a change that has no transaction to carry its event. */
  record(event: SecurityEventRecord): Promise<void>;
  /** Newest first, at most `limit`, expired ones left out; `nextCursor` when there may be more. */
  listOfUser(userId: string, limit: number, now: number, cursor?: string): Promise<{ events: SecurityEventRecord[]; nextCursor?: string }>;
}

/** A user as the admin API lists it: no hash, no secret. */
export interface AdminUserView {
  id: string;
  email: string;
  username?: string;
  createdAt: string;
  roles: string[];
  disabled: boolean;
}

/** What only the admin API does to users (shared/auth/admin.ts). */
export interface AdminStore {
  /** In email order, `emailPrefix` as a key condition (no scans); `nextCursor` when there may be more. */
  listUsers(limit: number, emailPrefix?: string, cursor?: string): Promise<{ users: AdminUserView[]; nextCursor?: string }>;
  /** Sets or clears `disabled` with its event, in one transaction; false when the user does not exist. */
  setDisabled(userId: string, disabled: boolean, event: SecurityEventRecord): Promise<boolean>;
  /** Replaces the roles with its event, in one transaction; false when the user does not exist. */
  setRoles(userId: string, roles: readonly string[], event: SecurityEventRecord): Promise<boolean>;
}

/**
 * The provider refused the mail in a way no retry changes (SES MessageRejected, an unverified
 * MAIL FROM domain, a malformed address...): the mailer records it and moves on.
 */
export class MailRejected extends Error {
  override name = 'MailRejected';
  constructor(readonly reason: string) {
    super(`the mail provider refused the mail: ${reason}`);
  }
}

/** Why an address gets no more mail: it bounced for good, or its owner marked a mail as spam. */
export type SuppressionReason = 'bounce' | 'complaint';

/** Addresses the mailer never mails again, recorded from SES's bounce and complaint events. */
export interface SuppressionList {
  isSuppressed(email: string): Promise<boolean>;
  /** Idempotent: the first record of an address is kept, a later event changes nothing. */
  suppress(entry: { email: string; reason: SuppressionReason; at: number; feedbackId?: string }): Promise<void>;
}
