import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Options every AWS client of the service is built with. An unresponsive DynamoDB, SES or
 * Secrets Manager must become a 503 within a few seconds, well inside the 10 s Lambda timeout:
 * connect within 1 s, answer within 1.5 s, at most 3 attempts (the SDK's jittered backoff), so
 * about 5 s at worst. throwOnRequestTimeout matters: without it the SDK only logs a warning when
 * the request timeout passes and keeps waiting.
 * Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables on the local stack.
 */
export const awsClientOptions = {
  maxAttempts: 3,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true }),
};
