import type { Config } from '../config';
import type { SessionRecord } from '../stores';

/**
 * Pure rules of session lifetime and refresh-token rotation (RFC 9700 §4.14.2), kept apart from
 * storage so they can be tested exhaustively.
 */
export type SessionState = 'live' | 'revoked' | 'expired';

type Lifetimes = Pick<Config, 'SESSION_IDLE_TIMEOUT_SECONDS'>;

export function sessionState(session: SessionRecord, now: number, config: Lifetimes): SessionState {
  if (session.revokedAt !== undefined) return 'revoked';
  if (now >= session.absoluteExpiresAt) return 'expired';
  if (now >= session.lastUsedAt + config.SESSION_IDLE_TIMEOUT_SECONDS * 1000) return 'expired';
  return 'live';
}

/**
 * What a presented refresh token of `generation` means for the session:
 * - rotate: it is the current token; advance the generation.
 * - grace:  it is the token replaced less than the grace window ago (two tabs, a retry); answer
 *           with the successor the winner got, revoke nothing.
 * - reuse:  any older token, or the replaced one after the window: treat as theft.
 */
export type RefreshDecision = { kind: 'rotate' } | { kind: 'grace'; successor: number } | { kind: 'reuse' };

export function decideRefresh(session: SessionRecord, generation: number, now: number, graceSeconds: number): RefreshDecision {
  if (generation === session.generation) return { kind: 'rotate' };
  const justReplaced = generation === session.generation - 1;
  const withinGrace = session.rotatedAt !== undefined && now - session.rotatedAt <= graceSeconds * 1000;
  if (justReplaced && withinGrace) return { kind: 'grace', successor: session.generation };
  return { kind: 'reuse' };
}

/** Seconds the refresh cookie may live: what is left of the session's absolute lifetime. */
export function remainingLifetimeSeconds(session: SessionRecord, now: number): number {
  return Math.max(0, Math.ceil((session.absoluteExpiresAt - now) / 1000));
}
