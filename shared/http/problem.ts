import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, OUTAGE_RETRY_AFTER_SECONDS, PROBLEM_CONTENT_TYPE, problemBody } from '../errors';
import { isAwsOutage } from '../aws/errors';
import { logger } from '../observability';

/**
 * The one place that turns an error into a reply. ApiErrors carry their code (4xx details are
 * shown); AWS outages become 503 + Retry-After; anything else is a generic 500 with the real
 * error logged, never shown.
 */
export function problemResponse(error: unknown): APIGatewayProxyResult {
  let apiError: ApiError;
  if (error instanceof ApiError) {
    apiError = error;
  } else if (isAwsOutage(error)) {
    logger.error('dependency unavailable', { error: describe(error) });
    apiError = new ApiError('service_unavailable', { retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS });
  } else {
    logger.error('unhandled error', { error: describe(error) });
    apiError = new ApiError('internal_error');
  }
  if (apiError.status >= 500 && apiError.code !== 'service_unavailable' && apiError.code !== 'internal_error') {
    apiError = new ApiError('internal_error');
  }
  const { detail, errors, retryAfterSeconds } = apiError.options;
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' };
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  return {
    statusCode: apiError.status,
    headers,
    body: JSON.stringify(problemBody(apiError.code, apiError.status < 500 ? { detail, errors } : {})),
  };
}

/** Name and message only: AWS errors can carry request parameters, and stacks are noise here. */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code;
    return { name: error.name, message: error.message, ...(code ? { code } : {}) };
  }
  return { value: String(error) };
}
