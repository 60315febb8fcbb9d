import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { AttemptCounter, StoredAttempts } from '../stores';
import type { AuthContext } from './context';
import { recordEvent } from './events';

/**
 * The one throttle every password check goes through (login now, the re-authentication of
 * password change, email change and account deletion later).
 *
 * An attempt is counted BEFORE the password is hashed, by one conditional write on the counter
 * (compare-and-set on its version, refused while a lock runs), and the attempt that reaches the
 * limit sets the lock in that same write and keeps the window closed until its outcome is known
 * (settlesBy), so the requests racing it are refused however long it hashes. A success resets the
 * counter; a failure was already counted and only sets its lock to run from the moment the
 * failure was known (a conditional write that never shortens a lock) and opens the window. So
 * however many requests race, at most FAILURES_BEFORE_LOCK of them get a comparison before the
 * lock, and one per lock afterwards.
 */
export const FAILURES_BEFORE_LOCK = 5;
export const MAX_LOCK_SECONDS = 15 * 60;
/**
 * Failures are forgotten this long after the last counted attempt or the end of its lock,
 * whichever is later. Long enough that a patient attacker gets about 5 guesses per hour and
 * identifier; short enough that a client without a device cookie is back to a clean slate an hour
 * after an attack stops. (Someone who keeps sending one request per lock keeps the identifier
 * locked for cookie-less clients whatever the memory; device cookies are what keeps the owner in.)
 */
export const FAILURE_MEMORY_SECONDS = 60 * 60;
/**
 * How long the attempt that reaches the limit keeps the window closed at most, should its outcome
 * never be written (its function died while hashing): longer than any function's timeout.
 */
export const SETTLE_SECONDS = 60;
/** Compare-and-set rounds before a request gives up on a counter other requests keep changing. */
const MAX_RACE_ROUNDS = 8;

/**
 * Counter keys: login by the identifier as typed (normalized), re-auth by account, devices by id;
 * second-factor codes apart for the login's second step (by account, by the mfaToken, and by the
 * trusted device the login came from) and for step-up (by account), so someone who knows the
 * password and fails codes at login locks neither the owner's step-up nor the owner's browsers.
 */
export const throttleKeys = {
  login: (kind: 'email' | 'username', identifier: string) => `login#${kind}#${identifier}`,
  account: (userId: string) => `account#${userId}`,
  device: (deviceId: string) => `device#${deviceId}`,
  secondFactorLogin: (userId: string) => `otp-login#${userId}`,
  secondFactorDevice: (deviceId: string) => `otp-device#${deviceId}`,
  secondFactorStepUp: (userId: string) => `otp-step-up#${userId}`,
  mfaToken: (tokenHash: string) => `mfatoken#${tokenHash}`,
  /** Mailed sign-in codes, by the address they are typed for. */
  emailSigninCode: (email: string) => `email-code#${email}`,
};

/** Lockout after consecutive failures: 2^(n-5) seconds from the 5th on, capped at 15 minutes. */
export function lockSecondsAfter(failures: number): number {
  if (failures < FAILURES_BEFORE_LOCK) return 0;
  return Math.min(2 ** (failures - FAILURES_BEFORE_LOCK), MAX_LOCK_SECONDS);
}

/**
 * - lockout: identifier and account counters; the limit sets an exponential lock.
 * - device:  a device cookie's own counter; at the limit the cookie is simply no longer trusted
 *            (login falls back to the identifier's counter), until its failures are forgotten.
 */
export type ThrottlePolicy = 'lockout' | 'device';

export type AttemptDecision = { kind: 'proceed'; next: AttemptCounter } | { kind: 'refuse'; retryAfterSeconds: number };
export type Claim = { kind: 'proceed'; next: AttemptCounter; version: number } | { kind: 'refuse'; retryAfterSeconds: number };

/** Whether one more attempt may be counted on this counter, and the counter if it is. */
export function decideAttempt(stored: AttemptCounter | undefined, now: number, policy: ThrottlePolicy): AttemptDecision {
  // DynamoDB's TTL deletes late: a forgotten counter is treated as absent here, not there.
  const current: Omit<AttemptCounter, 'expiresAt'> = stored && stored.expiresAt > now ? stored : { failures: 0 };
  if (policy === 'device') {
    if (current.failures >= FAILURES_BEFORE_LOCK) return { kind: 'refuse', retryAfterSeconds: secondsUntil(stored!.expiresAt, now) };
    return { kind: 'proceed', next: { failures: current.failures + 1, expiresAt: now + FAILURE_MEMORY_SECONDS * 1000 } };
  }
  const locked = current.lockedUntil !== undefined && current.lockedUntil > now;
  const inFlight = current.settlesBy !== undefined && current.settlesBy > now;
  if (locked || inFlight) return { kind: 'refuse', retryAfterSeconds: secondsUntil(current.lockedUntil ?? now, now) };
  const failures = current.failures + 1;
  const lockSeconds = lockSecondsAfter(failures);
  if (lockSeconds === 0) return { kind: 'proceed', next: { failures, expiresAt: now + FAILURE_MEMORY_SECONDS * 1000 } };
  const lockedUntil = now + lockSeconds * 1000;
  return {
    kind: 'proceed',
    next: { failures, lockedUntil, settlesBy: now + SETTLE_SECONDS * 1000, expiresAt: lockedUntil + FAILURE_MEMORY_SECONDS * 1000 },
  };
}

function secondsUntil(time: number, now: number): number {
  return Math.max(1, Math.ceil((time - now) / 1000));
}

/**
 * One attempt counted on a counter (or refused), before anything was hashed. Counting needs
 * neither the password nor the account, so login counts while it looks the account up.
 */
export interface CountedAttempt {
  readonly key: string;
  readonly claim: Claim;
}

/**
 * The failures a counter may hold for the next attempt to be just one more: under the lockout
 * policy the attempt that reaches the limit sets the lock, under the device policy the limit refuses.
 */
const PLAIN_INCREMENT_BELOW: Record<ThrottlePolicy, number> = { lockout: FAILURES_BEFORE_LOCK - 1, device: FAILURES_BEFORE_LOCK };

/**
 * Counts one attempt on `key` with a conditional write. Most attempts are just one more on a
 * counter that is absent or below the limit: one atomic increment, no read before it (a login
 * pays one DynamoDB call for its count). An attempt that needs a decision (the one that sets the
 * lock, one refused by a lock, one on a forgotten counter) gets the counter as stored from that
 * same call and goes through `decideAttempt` and a compare-and-set, re-reading when another
 * request won the race.
 */
export async function countAttempt(ctx: AuthContext, key: string, policy: ThrottlePolicy): Promise<CountedAttempt> {
  const started = ctx.now();
  const increment = await ctx.limits.incrementAttempts(key, PLAIN_INCREMENT_BELOW[policy], started + FAILURE_MEMORY_SECONDS * 1000, started);
  if ('counted' in increment) {
    const { version, ...next } = increment.counted;
    return { key, claim: { kind: 'proceed', next, version } };
  }
  let stored: StoredAttempts | undefined = increment.stored;
  for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
    if (round > 0) stored = await ctx.limits.getAttempts(key);
    const now = ctx.now();
    const decision = decideAttempt(stored, now, policy);
    if (decision.kind === 'refuse') return { key, claim: decision };
    if (await ctx.limits.saveAttempts(key, stored, decision.next, now)) return { key, claim: { ...decision, version: (stored?.version ?? 0) + 1 } };
  }
  // Only a flood of parallel attempts on one counter gets here: refusing is the safe answer.
  return { key, claim: { kind: 'refuse', retryAfterSeconds: 1 } };
}

type Verify = () => Promise<boolean>;
/** What security events may name: the account, when known (never the identifier or password). */
type Subject = { userId?: string };

/**
 * One password check through the throttle: counted before `verify` runs (a refused attempt
 * never hashes), reset by a success. Throws 429 too_many_attempts + Retry-After when the counter
 * is locked. Re-authentication calls this with `throttleKeys.account(userId)`.
 */
export async function throttledPasswordCheck(ctx: AuthContext, key: string, verify: Verify, subject: Subject = {}): Promise<boolean> {
  const attempt = await countAttempt(ctx, key, 'lockout');
  const matches = await checkCountedAttempt(ctx, attempt, verify, subject);
  if (matches) await resetAttempts(ctx, attempt);
  return matches;
}

/**
 * Runs `verify` for an attempt counted by `countAttempt`: a refused one throws 429
 * too_many_attempts + Retry-After without hashing; a failure is settled here (its lock runs from
 * the failure). A success is NOT reset here: the caller must `resetAttempts`, alongside whatever
 * it writes next (login writes its session in the same round trip).
 */
export async function checkCountedAttempt(ctx: AuthContext, attempt: CountedAttempt, verify: Verify, subject: Subject = {}): Promise<boolean> {
  const { key, claim } = attempt;
  if (claim.kind === 'refuse') {
    recordSecurityEvent('LoginLockout', { ...subject, throttle: kindOf(key) });
    throw new ApiError('too_many_attempts', { retryAfterSeconds: claim.retryAfterSeconds });
  }
  const counted = claim.next;
  const matches = await verify();
  if (!matches) {
    if (counted.lockedUntil !== undefined) {
      // The lock was set when the attempt was counted; it runs its full length from the failure.
      const until = ctx.now() + lockSecondsAfter(counted.failures) * 1000;
      await Promise.all([
        ctx.limits.settleFailure(key, claim.version, until, until + FAILURE_MEMORY_SECONDS * 1000),
        // The owner sees that someone locked the account (only a known account has a history).
        subject.userId ? recordEvent(ctx, subject.userId, 'locked_out') : undefined,
      ]);
    }
    recordSecurityEvent('LoginFailure', { ...subject, throttle: kindOf(key), failures: counted.failures, lockSeconds: lockSecondsAfter(counted.failures) });
  }
  return matches;
}

/** A success: the count on the attempt's counter starts again. */
export function resetAttempts(ctx: AuthContext, attempt: CountedAttempt): Promise<void> {
  return ctx.limits.clearAttempts(attempt.key);
}

/** Which kind of counter, for logs: never the identifier itself (an email is personal data). */
function kindOf(key: string): string {
  return key.slice(0, key.indexOf('#'));
}
