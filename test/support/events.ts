import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as LambdaAttributeValue, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * The one event factory for tests: API Gateway REST proxy events and REQUEST authorizer events
 * shaped like the ones API Gateway really sends (mixed-case headers, multiValue twins, null
 * body when there is none), and DynamoDB stream events as the table's stream hands them to the mailer.
 */
export interface ApiEventOptions {
  method?: 'GET' | 'POST' | 'DELETE' | 'OPTIONS';
  path: string;
  /** The resource template of a route with path parameters, e.g. `/auth/sessions/{id}`; defaults to `path`. */
  resource?: string;
  pathParameters?: Record<string, string>;
  /** The address API Gateway saw the request come from. */
  sourceIp?: string;
  body?: unknown;
  /** A raw body string, sent as is (malformed JSON, oversize bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** A header sent on several lines: as API Gateway does, `headers` gets the last, `multiValueHeaders` all. */
  repeatedHeaders?: Record<string, string[]>;
  auth?: { userId: string; sessionId: string; roles?: string };
  /** How the client reached the API: a custom domain (default) or the execute-api URL with its /prod stage prefix. */
  via?: 'custom-domain' | 'execute-api';
}

const multiValue = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));

export const TEST_METHOD_ARN_PREFIX = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod';

export function apiEvent(options: ApiEventOptions): APIGatewayProxyEvent {
  const method = options.method ?? 'POST';
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'vitest',
    'X-Forwarded-For': '203.0.113.7',
    ...(body !== null && options.rawBody === undefined ? { 'Content-Type': 'application/json' } : {}),
    ...options.headers,
    ...Object.fromEntries(Object.entries(options.repeatedHeaders ?? {}).map(([name, lines]) => [name, lines.at(-1)!])),
  };
  return {
    resource: options.resource ?? options.path,
    path: options.path,
    httpMethod: method,
    headers,
    multiValueHeaders: { ...multiValue(headers), ...options.repeatedHeaders },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: options.auth ? { ...options.auth, principalId: options.auth.userId, integrationLatency: 12 } : null,
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef1234',
      extendedRequestId: 'X1abcDEF=',
      httpMethod: method,
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: options.sourceIp ?? '203.0.113.7', user: null,
        userAgent: headers['User-Agent'] ?? null, userArn: null,
      },
      path: options.via === 'execute-api' ? `/prod${options.path}` : options.path,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTime: '28/Nov/2026:01:00:00 +0000',
      requestTimeEpoch: 1_795_827_600_000,
      resourceId: 'abc123',
      resourcePath: options.resource ?? options.path,
      stage: 'prod',
    },
  };
}

export function authorizerEvent(options: { authorization?: string; method?: string; path?: string }): APIGatewayRequestAuthorizerEvent {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/me';
  const headers: Record<string, string> = { Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com' };
  if (options.authorization !== undefined) headers.Authorization = options.authorization;
  return {
    type: 'REQUEST',
    methodArn: `${TEST_METHOD_ARN_PREFIX}/${method}${path}`,
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: multiValue(headers),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: apiEvent({ method: method as 'GET', path }).requestContext,
  } as APIGatewayRequestAuthorizerEvent;
}

export const TEST_STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/auth/stream/2026-11-01T00:00:00.000';

/** One INSERT stream record per item (NEW_IMAGE view), with increasing sequence numbers. */
export function streamEvent(items: Array<Record<string, unknown>>): DynamoDBStreamEvent {
  const Records = items.map((item, index): DynamoDBRecord => ({
    eventID: `event-${index + 1}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: TEST_STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: 1_795_000_000,
      Keys: marshall({ pk: item.pk, sk: item.sk }) as Record<string, LambdaAttributeValue>,
      NewImage: marshall(item, { removeUndefinedValues: true }) as Record<string, LambdaAttributeValue>,
      SequenceNumber: String(100_000_000 + index),
      SizeBytes: 128,
      StreamViewType: 'NEW_IMAGE',
    },
  }));
  return { Records };
}

export const lambdaContext = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;
