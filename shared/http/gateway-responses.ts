import { OUTAGE_RETRY_AFTER_SECONDS, problemBody, type ErrorCode } from '../errors';

/** Seconds a throttled client should wait: the stage's token bucket refills every second. */
export const THROTTLED_RETRY_AFTER_SECONDS = 1;

/**
 * Replies API Gateway itself gives (no handler ran): a missing/invalid token (401), an authorizer
 * deny (403), throttling (429), an authorizer that crashed, timed out or answered nonsense (503:
 * the caller's token may be fine, so "try again", not "log in again"), and any other gateway 4XX/5XX. The CDK stack renders these as
 * Gateway Responses and the local gateway answers with the same bodies, so clients see one
 * problem+json shape everywhere.
 */
export const gatewayResponses = [
  { type: 'UNAUTHORIZED', status: 401, code: 'unauthorized' },
  { type: 'ACCESS_DENIED', status: 403, code: 'forbidden' },
  // /admin (AWS_IAM): a wrong or stale SigV4 signature.
  { type: 'INVALID_SIGNATURE', status: 403, code: 'forbidden' },
  { type: 'THROTTLED', status: 429, code: 'rate_limited', retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS },
  // A block by WAF's reputation or managed rules. Its rate rules answer 429 with Retry-After
  // themselves (a custom response, infra/waf.ts), so what reaches this response is a refusal.
  { type: 'WAF_FILTERED', status: 403, code: 'forbidden' },
  { type: 'MISSING_AUTHENTICATION_TOKEN', status: 404, code: 'not_found' },
  { type: 'REQUEST_TOO_LARGE', status: 413, code: 'payload_too_large' },
  { type: 'AUTHORIZER_FAILURE', status: 503, code: 'service_unavailable', retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS },
  { type: 'AUTHORIZER_CONFIGURATION_ERROR', status: 503, code: 'service_unavailable', retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS },
  // DEFAULT_4XX keeps the status the gateway chose (413, 415, ...); only the body is shaped.
  { type: 'DEFAULT_4XX', status: 400, code: 'request_rejected' },
  { type: 'DEFAULT_5XX', status: 500, code: 'internal_error' },
] as const satisfies ReadonlyArray<{ type: string; status: number; code: ErrorCode; retryAfterSeconds?: number }>;

export type GatewayResponseType = (typeof gatewayResponses)[number]['type'];

/** The Retry-After the gateway sends with this response, if any. */
export function gatewayRetryAfterSeconds(type: GatewayResponseType): number | undefined {
  const response = gatewayResponses.find((r) => r.type === type)!;
  return 'retryAfterSeconds' in response ? response.retryAfterSeconds : undefined;
}

export function gatewayResponseBody(type: GatewayResponseType): string {
  const response = gatewayResponses.find((r) => r.type === type)!;
  return JSON.stringify(problemBody(response.code));
}
