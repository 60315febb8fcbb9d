import { describe, expect, it } from 'vitest';
import { decideRefresh, remainingLifetimeSeconds, sessionState } from '../../shared/auth/session-rules';
import type { SessionRecord } from '../../shared/stores';

const now = 1_800_000_000_000;
const session = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  id: 'session-1', userId: 'user-1', generation: 4, createdAt: now - 3_600_000, lastUsedAt: now - 60_000,
  absoluteExpiresAt: now + 3_600_000, rotatedAt: now - 2_000, ...overrides,
});
const lifetimes = { SESSION_IDLE_TIMEOUT_SECONDS: 1800 };

describe('session lifetime', () => {
  it('keeps a recently used session live', () => {
    expect(sessionState(session(), now, lifetimes)).toBe('live');
  });

  it('expires a session idle for longer than the idle timeout', () => {
    expect(sessionState(session({ lastUsedAt: now - 1_800_000 }), now, lifetimes)).toBe('expired');
  });

  it('expires a session at its absolute lifetime however recently it was used', () => {
    expect(sessionState(session({ lastUsedAt: now, absoluteExpiresAt: now }), now, lifetimes)).toBe('expired');
  });

  it('reports a revoked session as revoked even before it would expire', () => {
    expect(sessionState(session({ revokedAt: now - 1 }), now, lifetimes)).toBe('revoked');
  });

  it('sets the cookie lifetime to what is left of the session', () => {
    expect(remainingLifetimeSeconds(session(), now)).toBe(3600);
    expect(remainingLifetimeSeconds(session({ absoluteExpiresAt: now - 5 }), now)).toBe(0);
  });
});

describe('refresh token rotation', () => {
  it('rotates the current token', () => {
    expect(decideRefresh(session(), 4, now, 10)).toEqual({ kind: 'rotate' });
  });

  it('answers the just-replaced token inside the grace window with the current successor', () => {
    expect(decideRefresh(session({ rotatedAt: now - 10_000 }), 3, now, 10)).toEqual({ kind: 'grace', successor: 4 });
  });

  it('treats the just-replaced token after the grace window as reuse', () => {
    expect(decideRefresh(session({ rotatedAt: now - 10_001 }), 3, now, 10)).toEqual({ kind: 'reuse' });
  });

  it('treats any older token as reuse, even inside the grace window', () => {
    expect(decideRefresh(session(), 2, now, 10)).toEqual({ kind: 'reuse' });
    expect(decideRefresh(session(), 0, now, 10)).toEqual({ kind: 'reuse' });
  });

  it('never grants grace to a session that was never rotated', () => {
    expect(decideRefresh(session({ generation: 0, rotatedAt: undefined }), -1, now, 10)).toEqual({ kind: 'reuse' });
  });
});
