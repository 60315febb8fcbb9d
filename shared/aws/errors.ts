/**
 * Which AWS SDK failures are an outage (throttling, timeouts, 5xx, network): the request was
 * fine, the dependency was not, so the client should retry later (503 + Retry-After).
 */
const outageNames = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
]);

/**
 * Another request is writing the same items at this moment: TransactionConflictException (a
 * plain write that met a transaction in progress) or a TransactWriteItems cancelled with a
 * TransactionConflict reason and no failed condition. Worth a retry; if retries do not help, the
 * client should retry later, like an outage.
 */
export function isTransactionConflict(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TransactionConflictException') return true;
  const reasons = cancellationReasons(error);
  return reasons !== undefined && reasons.includes('TransactionConflict') && !reasons.includes('ConditionalCheckFailed');
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

export function isAwsOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (outageNames.has(e.name) || isTransactionConflict(error)) return true;
  if (e.code && networkCodes.has(e.code)) return true;
  if (e.$retryable) return true;
  return (e.$metadata?.httpStatusCode ?? 0) >= 500;
}

/** A TransactWriteItems cancelled because one of its conditions failed: the reason codes, in item order. */
export function cancellationReasons(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
