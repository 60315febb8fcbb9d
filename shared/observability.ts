import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Structured JSON logs and EMF metrics. Nothing secret is ever passed to these: no password,
 * token, hash or cookie — security events carry ids and reasons only.
 */
export const SERVICE_NAME = 'serverless-auth';
export const METRICS_NAMESPACE = 'ServerlessAuth';

export const logger = new Logger({ serviceName: SERVICE_NAME });
/**
 * Every metric carries the stage (STAGE, set by the stack; "local" on the local stack) next to
 * the service, and on AWS the stack's name (STACK_NAME), so stages sharing an account, and the
 * service's own stack and a team's stack of the same stage, keep their numbers and alarms apart.
 */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  defaultDimensions: { stage: process.env.STAGE || 'local', ...(process.env.STACK_NAME ? { stack: process.env.STACK_NAME } : {}) },
});

export type SecurityEvent =
  | 'LoginFailure'
  | 'LoginLockout'
  | 'RefreshTokenReuse'
  | 'InvalidRefreshToken'
  | 'MfaEnabled'
  | 'MfaDisabled'
  | 'RecoveryCodeUsed'
  | 'PasskeyAdded'
  | 'PasskeyRemoved'
  | 'PasskeyCounterRegression'
  | 'IdentityLinked'
  | 'IdentityUnlinked'
  | 'FederatedAccountCreated'
  | 'PasswordReset'
  | 'PasswordChange'
  | 'EmailChangeRequest'
  | 'EmailChange'
  | 'AccountDeletion'
  | 'MailGlobalCapReached';

/** Logs a security event and counts it as a metric (published at once: most requests add none). */
export function recordSecurityEvent(event: SecurityEvent, details: Record<string, string | number | undefined> = {}): void {
  logger.warn(`security event: ${event}`, { securityEvent: event, ...details });
  metrics.addMetric(event, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/**
 * What happened to mail outside the happy path, each a metric with an alarm (infra/alarms.ts):
 * SES refused a mail for good (MailRejected), a mail was not sent because its address bounced
 * or complained before (MailSuppressed), an address was added to the suppression list
 * (AddressSuppressed).
 */
export type MailEvent = 'MailRejected' | 'MailSuppressed' | 'AddressSuppressed';

/** Logs a mail event (ids and reasons, never the address) and counts it as a metric. */
export function recordMailEvent(event: MailEvent, details: Record<string, string | number | undefined> = {}): void {
  logger.warn(`mail event: ${event}`, { mailEvent: event, ...details });
  metrics.addMetric(event, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
