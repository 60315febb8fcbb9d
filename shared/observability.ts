import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Structured JSON logs and EMF metrics. Nothing secret is ever passed to these: no password,
 * token, hash or cookie — security events carry ids and reasons only.
 */
export const logger = new Logger({ serviceName: 'serverless-auth' });
export const metrics = new Metrics({ namespace: 'ServerlessAuth', serviceName: 'serverless-auth' });

export type SecurityEvent =
  | 'LoginFailure'
  | 'LoginLockout'
  | 'RefreshTokenReuse'
  | 'InvalidRefreshToken';

/** Logs a security event and counts it as a metric (published at once: most requests add none). */
export function recordSecurityEvent(event: SecurityEvent, details: Record<string, string | number | undefined> = {}): void {
  logger.warn(`security event: ${event}`, { securityEvent: event, ...details });
  metrics.addMetric(event, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
