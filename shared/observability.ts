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
 * the service, so stages sharing an account keep their numbers and alarms apart.
 */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  defaultDimensions: { stage: process.env.STAGE || 'local' },
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
  | 'PasswordReset'
  | 'PasswordChange'
  | 'EmailChangeRequest'
  | 'EmailChange'
  | 'AccountDeletion';

/** Logs a security event and counts it as a metric (published at once: most requests add none). */
export function recordSecurityEvent(event: SecurityEvent, details: Record<string, string | number | undefined> = {}): void {
  logger.warn(`security event: ${event}`, { securityEvent: event, ...details });
  metrics.addMetric(event, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
