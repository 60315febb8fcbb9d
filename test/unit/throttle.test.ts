import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../../shared/auth/context';
import {
  checkCountedAttempt,
  countAttempt,
  decideAttempt,
  FAILURE_MEMORY_SECONDS,
  lockSecondsAfter,
  resetAttempts,
  SETTLE_SECONDS,
  throttledPasswordCheck,
  throttleKeys,
} from '../../shared/auth/throttle';
import { ApiError } from '../../shared/errors';
import type { AttemptCounter, AttemptIncrement, LimitStore, StoredAttempts } from '../../shared/stores';

const now = 1_800_000_000_000;
const memoryMs = FAILURE_MEMORY_SECONDS * 1000;

describe('lock duration', () => {
  it('does not lock before the fifth consecutive failure', () => {
    expect([1, 2, 3, 4].map(lockSecondsAfter)).toEqual([0, 0, 0, 0]);
  });

  it('locks for 2^(n-5) seconds from the fifth failure on', () => {
    expect([5, 6, 7, 10].map(lockSecondsAfter)).toEqual([1, 2, 4, 32]);
  });

  it('caps the lock at 15 minutes', () => {
    expect(lockSecondsAfter(15)).toBe(900);
    expect(lockSecondsAfter(60)).toBe(900);
  });
});

describe('identifier and account counters', () => {
  it('counts the first attempt without a lock and remembers it for the failure memory', () => {
    expect(decideAttempt(undefined, now, 'lockout')).toEqual({ kind: 'proceed', next: { failures: 1, expiresAt: now + memoryMs } });
  });

  it('sets the lock with the attempt that reaches five, before its password is checked', () => {
    const decision = decideAttempt({ failures: 4, expiresAt: now + memoryMs }, now, 'lockout');

    expect(decision).toEqual({
      kind: 'proceed',
      next: { failures: 5, lockedUntil: now + 1000, settlesBy: now + SETTLE_SECONDS * 1000, expiresAt: now + 1000 + memoryMs },
    });
  });

  it('keeps the window closed while the attempt that reached the limit is still hashing, however long its lock', () => {
    const decision = decideAttempt({ failures: 5, lockedUntil: now - 5_000, settlesBy: now + 50_000, expiresAt: now + memoryMs }, now, 'lockout');

    expect(decision).toEqual({ kind: 'refuse', retryAfterSeconds: 1 });
  });

  it('refuses while locked, with the whole seconds left (at least 1)', () => {
    expect(decideAttempt({ failures: 7, lockedUntil: now + 3_200, expiresAt: now + memoryMs }, now, 'lockout')).toEqual({ kind: 'refuse', retryAfterSeconds: 4 });
    expect(decideAttempt({ failures: 5, lockedUntil: now + 10, expiresAt: now + memoryMs }, now, 'lockout')).toEqual({ kind: 'refuse', retryAfterSeconds: 1 });
  });

  it('lets one attempt through when the lock has run out, and locks twice as long', () => {
    const decision = decideAttempt({ failures: 5, lockedUntil: now - 1, expiresAt: now + memoryMs }, now, 'lockout');

    expect(decision).toMatchObject({ kind: 'proceed', next: { failures: 6, lockedUntil: now + 2000 } });
  });

  it('forgets failures once their memory has passed, even before TTL deleted the item', () => {
    const decision = decideAttempt({ failures: 14, lockedUntil: now - memoryMs - 1, expiresAt: now - 1 }, now, 'lockout');

    expect(decision).toEqual({ kind: 'proceed', next: { failures: 1, expiresAt: now + memoryMs } });
  });
});

describe('device counters', () => {
  it('lets a device make five attempts, then no longer trusts it until its failures are forgotten', () => {
    expect(decideAttempt({ failures: 4, expiresAt: now + memoryMs }, now, 'device')).toEqual({ kind: 'proceed', next: { failures: 5, expiresAt: now + memoryMs } });
    expect(decideAttempt({ failures: 5, expiresAt: now + 60_000 }, now, 'device')).toEqual({ kind: 'refuse', retryAfterSeconds: 60 });
    expect(decideAttempt({ failures: 5, expiresAt: now - 1 }, now, 'device')).toMatchObject({ kind: 'proceed', next: { failures: 1 } });
  });
});

/** LimitStore with DynamoDB's compare-and-set semantics, yielding between read and write like a network would. */
class InMemoryLimitStore implements LimitStore {
  readonly items = new Map<string, StoredAttempts>();

  async getAttempts(key: string) {
    await Promise.resolve();
    const item = this.items.get(key);
    return item ? { ...item } : undefined;
  }

  async saveAttempts(key: string, seen: StoredAttempts | undefined, next: AttemptCounter, at: number) {
    await new Promise((resolve) => setImmediate(resolve));
    const current = this.items.get(key);
    const unchanged = seen
      ? current?.version === seen.version && (current.lockedUntil ?? 0) <= at && (current.settlesBy ?? 0) <= at
      : current === undefined;
    if (!unchanged) return false;
    this.items.set(key, { ...next, version: (seen?.version ?? 0) + 1 });
    return true;
  }

  async incrementAttempts(key: string, below: number, expiresAt: number, at: number): Promise<AttemptIncrement> {
    await new Promise((resolve) => setImmediate(resolve));
    const current = this.items.get(key);
    const plain = !current || (current.failures < below && current.expiresAt > at && (current.lockedUntil ?? 0) <= at && (current.settlesBy ?? 0) <= at);
    if (!plain) return { stored: { ...current } };
    const counted = { failures: (current?.failures ?? 0) + 1, expiresAt, version: (current?.version ?? 0) + 1 };
    this.items.set(key, counted);
    return { counted: { ...counted } };
  }

  async settleFailure(key: string, version: number, until: number, expiresAt: number) {
    const current = this.items.get(key);
    if (current?.version !== version || (current.lockedUntil ?? Infinity) > until) return;
    const { settlesBy: _settled, ...rest } = current;
    this.items.set(key, { ...rest, lockedUntil: until, expiresAt });
  }

  async clearAttempts(key: string) {
    this.items.delete(key);
  }

  async hit() {
    return 1;
  }
}

function contextWith(limits: LimitStore): AuthContext {
  return { limits, now: () => now } as unknown as AuthContext;
}

describe('throttled password checks', () => {
  it('gives 30 parallel wrong passwords at most five comparisons; the rest are refused without hashing', async () => {
    // Prepare
    const ctx = contextWith(new InMemoryLimitStore());
    let comparisons = 0;
    const wrongPassword = async () => {
      comparisons++;
      return false;
    };

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => throttledPasswordCheck(ctx, throttleKeys.login('email', 'a@example.com'), wrongPassword)));

    // Assess
    expect(comparisons).toBe(5);
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === false)).toHaveLength(5);
    const refusals = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as ApiError);
    expect(refusals).toHaveLength(25);
    expect(refusals.every((e) => e.code === 'too_many_attempts' && e.options.retryAfterSeconds! >= 1)).toBe(true);
  });

  it('runs the lock its full length from the failure, however long the hash took', async () => {
    const store = new InMemoryLimitStore();
    let clock = now;
    const ctx = { limits: store, now: () => clock } as unknown as AuthContext;
    const key = throttleKeys.login('username', 'alice');
    const slowWrongPassword = async () => {
      clock += 700;
      return false;
    };

    for (let i = 0; i < 5; i++) await throttledPasswordCheck(ctx, key, slowWrongPassword);

    expect(store.items.get(key)).toMatchObject({ failures: 5, lockedUntil: clock + 1000 });
    expect(store.items.get(key)!.settlesBy).toBeUndefined();
  });

  it('never shortens a longer lock when a failure is known', async () => {
    const store = new InMemoryLimitStore();
    const key = throttleKeys.login('email', 'a@example.com');
    store.items.set(key, { failures: 9, lockedUntil: now + 600_000, settlesBy: now + 60_000, expiresAt: now + 600_000 + memoryMs, version: 9 });

    await store.settleFailure(key, 9, now + 1000, now + 1000 + memoryMs);

    expect(store.items.get(key)!.lockedUntil).toBe(now + 600_000);
  });

  it('opens the window one lock after the failure of the attempt that reached the limit', async () => {
    const store = new InMemoryLimitStore();
    let clock = now;
    const ctx = { limits: store, now: () => clock } as unknown as AuthContext;
    const key = throttleKeys.login('email', 'b@example.com');
    for (let i = 0; i < 5; i++) await throttledPasswordCheck(ctx, key, async () => false);

    clock += 1001;
    let compared = false;
    await throttledPasswordCheck(ctx, key, async () => (compared = true));

    expect(compared).toBe(true);
  });

  it('resets the count after a success', async () => {
    const store = new InMemoryLimitStore();
    const ctx = contextWith(store);
    const key = throttleKeys.account('user-1');
    for (let i = 0; i < 4; i++) await throttledPasswordCheck(ctx, key, async () => false);

    await throttledPasswordCheck(ctx, key, async () => true);

    expect(store.items.has(key)).toBe(false);
  });

  it('refuses a device that used up its attempts, so the caller falls back to the identifier', async () => {
    // Prepare
    const store = new InMemoryLimitStore();
    const ctx = contextWith(store);
    const key = throttleKeys.device('device-1');
    for (let i = 0; i < 5; i++) expect(await checkCountedAttempt(ctx, await countAttempt(ctx, key, 'device'), async () => false)).toBe(false);

    // Act
    const attempt = await countAttempt(ctx, key, 'device');

    // Assess
    expect(attempt.claim.kind).toBe('refuse');
  });

  it('keeps a success counted until the caller resets it', async () => {
    // Prepare
    const store = new InMemoryLimitStore();
    const ctx = contextWith(store);
    const key = throttleKeys.login('email', 'c@example.com');

    // Act
    const attempt = await countAttempt(ctx, key, 'lockout');
    const matches = await checkCountedAttempt(ctx, attempt, async () => true);

    // Assess
    expect(matches).toBe(true);
    expect(store.items.get(key)).toMatchObject({ failures: 1 });
    await resetAttempts(ctx, attempt);
    expect(store.items.has(key)).toBe(false);
  });
});
