import { randomBytes } from 'node:crypto';
import type { SessionClient } from './auth/session-client';

/**
 * Security events: what happened to an account, for its owner (GET /me/security-events) and for
 * an admin (GET /admin/users/{id}/events). Stored under the user (USER#<id>, EVT#<id>) with a
 * TTL; written with the change they record (in its transaction where it has one) and never on a
 * login's sequential critical path. They hold no secret, hash, code or token.
 */
export const securityEventTypes = [
  'signed_in', 'locked_out', 'password_changed', 'password_reset', 'email_changed', 'mfa_enabled', 'mfa_disabled',
  'recovery_code_used', 'session_revoked', 'signed_out_everywhere', 'account_disabled', 'account_enabled', 'roles_changed',
  'passkey_added', 'passkey_removed',
] as const;
export type SecurityEventType = (typeof securityEventTypes)[number];

/** How a sign-in was proven (signed_in). */
export type SignInMethod = 'password' | 'totp' | 'recovery_code' | 'signup' | 'passkey' | 'email';

export interface SecurityEventRecord {
  /** Time-ordered: sorts by when it happened. */
  id: string;
  userId: string;
  type: SecurityEventType;
  /** ISO 8601. */
  at: string;
  ipAddress?: string;
  userAgent?: string;
  /** signed_in: how. */
  method?: SignInMethod;
  /** signed_in: no device cookie of this account came with it. */
  newDevice?: boolean;
  /** Admin actions: the IAM principal (ARN) that made the change. */
  actor?: string;
  /** roles_changed: the roles now held. */
  roles?: string[];
  /** Epoch seconds: when DynamoDB may forget it. */
  expiresAt: number;
}

export const SECURITY_EVENTS_SHOWN = 50;

/** 13 base-36 digits of milliseconds (good until the year 5000+) then randomness: sorts by time, never collides. */
export function timeOrderedId(now: number): string {
  return `${now.toString(36).padStart(13, '0')}${randomBytes(6).toString('hex')}`;
}

export function securityEvent(
  userId: string,
  type: SecurityEventType,
  now: number,
  retentionDays: number,
  details: SessionClient & Partial<Pick<SecurityEventRecord, 'method' | 'newDevice' | 'actor' | 'roles'>> = {},
): SecurityEventRecord {
  return {
    ...details,
    id: timeOrderedId(now),
    userId,
    type,
    at: new Date(now).toISOString(),
    expiresAt: Math.ceil(now / 1000) + retentionDays * 86_400,
  };
}

/** An event as the API shows it (the storage's TTL and owner left out). */
export function eventView(event: SecurityEventRecord) {
  const { expiresAt: _expiresAt, userId: _userId, id, type, at, ...details } = event;
  return { id, type, at, ...details };
}
