import { randomUUID } from 'node:crypto';
import type {
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { FUNCTION_TIMEOUT_SECONDS } from '../../shared/routes';

/**
 * API Gateway REST (v1) event shapes built from a plain HTTP request, so the handlers locally get
 * exactly what they get behind the deployed API: the proxy integration event, the REQUEST
 * authorizer event, and a Lambda context.
 */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_API_ID = 'localapi';
export const LOCAL_STAGE = 'local';
export const LOCAL_REGION = 'local';

/** API Gateway's REST integration timeout; only a function allowed to run longer can reach it (504). */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/** Each function's Lambda timeout, the value the stack configures. */
export const FUNCTION_TIMEOUT_MS = FUNCTION_TIMEOUT_SECONDS * 1000;

export interface IncomingRequest {
  method: string;
  /** Path and query as received, e.g. `/me?x=1`. */
  url: string;
  /** Node's `rawHeaders`: names with the client's spelling, in order, repeated headers repeated. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** The port the request arrived on (X-Forwarded-Port). */
  localPort: number;
}

export interface RouteMatch {
  /** The API Gateway resource path, e.g. `/auth/login` or `/auth/sessions/{id}`. */
  resource: string;
  /** Values of the resource's `{name}` segments in this request; absent or empty when it has none. */
  pathParameters?: Record<string, string>;
  /** The API Gateway resource id; stable per resource so caches keyed on it behave. */
  resourceId: string;
}

/** Content types whose bodies API Gateway hands over as text; anything else arrives base64-encoded. */
const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|[\w.+-]+\+json|x-www-form-urlencoded|xml|javascript))/i;

export function methodArn(httpMethod: string, resource: string): string {
  return `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${LOCAL_API_ID}/${LOCAL_STAGE}/${httpMethod}${resource}`;
}

/** API Gateway's `headers` hold the last value of each header; `multiValueHeaders` hold all of them. */
function headerMaps(rawHeaders: string[]) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const spellingByLowerName = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const rawName = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const name = spellingByLowerName.get(rawName.toLowerCase()) ?? rawName;
    spellingByLowerName.set(rawName.toLowerCase(), name);
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function queryMaps(url: URL) {
  const keys = [...new Set(url.searchParams.keys())];
  if (keys.length === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const key of keys) {
    const values = url.searchParams.getAll(key);
    multiValueQueryStringParameters[key] = values;
    queryStringParameters[key] = values[values.length - 1]!;
  }
  return { queryStringParameters, multiValueQueryStringParameters };
}

function headerValue(rawHeaders: string[], wanted: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === wanted.toLowerCase()) found = rawHeaders[i + 1];
  }
  return found;
}

/** `09/Apr/2015:12:34:56 +0000`, the format of requestContext.requestTime. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's requestTime, e.g. 28/Nov/2026:01:00:00 +0000 (toLocaleString costs ~165 µs a call). */
function requestTime(date: Date): string {
  const month = MONTHS[date.getUTCMonth()];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${month}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function requestContext(
  request: IncomingRequest,
  route: RouteMatch,
  requestId: string,
  now: Date,
): APIGatewayEventRequestContextWithAuthorizer<undefined> {
  const url = new URL(request.url, 'http://local');
  return {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: LOCAL_API_ID,
    authorizer: undefined,
    domainName: headerValue(request.rawHeaders, 'host') ?? 'localhost',
    domainPrefix: LOCAL_API_ID,
    extendedRequestId: requestId,
    httpMethod: request.method,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: request.sourceIp,
      user: null,
      userAgent: headerValue(request.rawHeaders, 'user-agent') ?? null,
      userArn: null,
    },
    // The path as the client called it. Locally the URL carries no stage prefix, as on an API
    // Gateway custom domain; on the execute-api domain it would be /<stage>/... (see cookies.ts).
    path: url.pathname,
    protocol: 'HTTP/1.1',
    requestId,
    requestTime: requestTime(now),
    requestTimeEpoch: now.getTime(),
    resourceId: route.resourceId,
    resourcePath: route.resource,
    stage: LOCAL_STAGE,
  };
}

/** API Gateway appends the client address to X-Forwarded-For and sets the X-Forwarded-Proto/Port it received on. */
function withForwardingHeaders(request: IncomingRequest, port: string): string[] {
  const forwardedFor = headerValue(request.rawHeaders, 'x-forwarded-for');
  const kept: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    if (!/^x-forwarded-(for|proto|port)$/i.test(name)) kept.push(name, request.rawHeaders[i + 1]!);
  }
  return [
    ...kept,
    'X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp,
    'X-Forwarded-Port', port,
    'X-Forwarded-Proto', 'http',
  ];
}

export interface BuiltRequest {
  requestId: string;
  methodArn: string;
  /** The Authorization header value (the authorizer's identity source), if any. */
  identity: string | undefined;
  authorizerEvent(): APIGatewayRequestAuthorizerEvent;
  /** `iamUserArn`: the principal of a SigV4-signed request (AWS_IAM routes). */
  proxyEvent(authorizer: Record<string, unknown> | undefined, iamUserArn?: string): APIGatewayProxyEvent;
}

export function buildEvents(request: IncomingRequest, route: RouteMatch, identitySource: string, now = new Date()): BuiltRequest {
  const requestId = randomUUID();
  const rawHeaders = withForwardingHeaders(request, String(request.localPort));
  const { headers, multiValueHeaders } = headerMaps(rawHeaders);
  const url = new URL(request.url, 'http://local');
  const query = queryMaps(url);
  // Like API Gateway: the method ARN names the path called (parameters filled in), not the resource template.
  const arn = methodArn(request.method, url.pathname);
  const pathParameters = route.pathParameters ?? {};
  const hasPathParameters = Object.keys(pathParameters).length > 0;
  const context = requestContext(request, route, requestId, now);
  const identity = headerValue(request.rawHeaders, identitySource);

  return {
    requestId,
    methodArn: arn,
    identity: identity === undefined || identity.trim() === '' ? undefined : identity,
    authorizerEvent: () => ({
      type: 'REQUEST',
      methodArn: arn,
      resource: route.resource,
      path: url.pathname,
      httpMethod: request.method,
      headers,
      multiValueHeaders,
      pathParameters: { ...pathParameters },
      ...query,
      stageVariables: {},
      requestContext: context,
    }),
    proxyEvent: (authorizer, iamUserArn) => {
      const contentType = headerValue(request.rawHeaders, 'content-type') ?? '';
      const hasBody = request.body.length > 0;
      const asText = contentType === '' || TEXT_CONTENT_TYPE.test(contentType);
      return {
        resource: route.resource,
        path: url.pathname,
        httpMethod: request.method,
        headers,
        multiValueHeaders,
        ...query,
        pathParameters: hasPathParameters ? { ...pathParameters } : null,
        stageVariables: null,
        requestContext: { ...context, authorizer, ...(iamUserArn ? { identity: { ...context.identity, userArn: iamUserArn, user: iamUserArn.split('/').pop()! } } : {}) },
        body: hasBody ? request.body.toString(asText ? 'utf8' : 'base64') : null,
        isBase64Encoded: hasBody && !asText,
      };
    },
  };
}

/** The Lambda context object a handler receives (Powertools reads the request id and names from it). */
export function lambdaContext(functionName: string, requestId: string, timeoutMs = FUNCTION_TIMEOUT_MS, startedAt = Date.now()): Context {
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:local-${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/local-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, startedAt + timeoutMs - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
