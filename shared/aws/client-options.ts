import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Options every AWS client of the service is built with. An unresponsive DynamoDB, SES or
 * Secrets Manager must become a 503 within a few seconds, far inside the Lambda timeout:
 * connect within 1 s, answer within 2 s, at most 3 attempts (SDK's standard jittered backoff).
 * Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables on the local stack.
 */
export const awsClientOptions = {
  maxAttempts: 3,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 2_000 }),
};
