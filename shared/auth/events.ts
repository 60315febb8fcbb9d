import { securityEvent, type SecurityEventRecord, type SecurityEventType } from '../security-events';
import type { AuthContext } from './context';

type Details = Parameters<typeof securityEvent>[4];

/** A security event of `userId` happening now, kept for the configured retention. */
export function eventNow(ctx: Pick<AuthContext, 'config' | 'now'>, userId: string, type: SecurityEventType, details: Details = {}): SecurityEventRecord {
  return securityEvent(userId, type, ctx.now(), ctx.config.SECURITY_EVENT_RETENTION_DAYS, details);
}

/** Records an event of a change that has no transaction to carry it (run beside the change's own write). */
export function recordEvent(ctx: AuthContext, userId: string, type: SecurityEventType, details: Details = {}): Promise<void> {
  return ctx.events.record(eventNow(ctx, userId, type, details));
}
