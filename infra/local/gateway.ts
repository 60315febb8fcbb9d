import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { authorizer, matchPath, routes, type Route } from '../../shared/routes';
import { corsHeaders, preflightHeaders } from '../../shared/http/cors';
import { gatewayResponseBody, gatewayRetryAfterSeconds, type GatewayResponseType } from '../../shared/http/gateway-responses';
import { PROBLEM_CONTENT_TYPE } from '../../shared/errors';
import { isLoopbackHost, misdirectedReply } from './host-guard';
import { buildEvents, FUNCTION_TIMEOUT_MS, INTEGRATION_TIMEOUT_MS, lambdaContext, type IncomingRequest } from './events';
import { evaluatePolicy, isWellFormedAuthorizerResult, type PolicyDocument } from './policy';
import { LOCAL_ADMIN_ARN, verifySigV4, type AdminKeyPair, type SignedRequest } from './sigv4';

/**
 * The local API Gateway: a node:http request listener generated from the route table in
 * shared/routes.ts. It does what the deployed REST API does between the client and the
 * functions: routing, CORS preflights, the 10 MB payload limit, the REQUEST authorizer (IAM
 * policy evaluated against the method ARN, result cache keyed by the Authorization header),
 * proxy integration events and results, and the problem+json Gateway Responses. It answers
 * only the Host names localhost, 127.0.0.1 and [::1] (421 otherwise: DNS rebinding).
 * It also serves the demo page and `GET /health` on the same port.
 */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface StaticFile {
  contentType: string;
  body: string | Uint8Array;
  /** Sent with the file on top of the defaults (the pages' Content-Security-Policy). */
  headers?: Record<string, string>;
}

/** A file made at each request (the demo's dev inbox relays the local mail store). */
export type DynamicFile = () => Promise<StaticFile>;

/** A team's own route (ServerlessAuth.addProtectedRoute on AWS): behind the authorizer, with the preflight. */
export interface TeamRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handler: LambdaHandler;
}

/** What the gateway routes by: the service's route table plus the team's routes. */
type GatewayRoute = Pick<Route, 'path' | 'functionName' | 'auth'> & { method: string };

export interface GatewayOptions {
  /** Every function of shared/routes.ts by functionName, the authorizer included. */
  handlers: Readonly<Record<string, LambdaHandler>>;
  /** The team's routes (startLocalStack's `routes`), protected like the service's GET /me. */
  teamRoutes?: readonly TeamRoute[];
  /** What the handlers were loaded from, reported by GET /health. */
  handlerSource?: 'sources' | 'bundles' | 'prebuilt';
  allowedOrigins: readonly string[];
  /** 0 = no caching (the local default, so a logout shows at once); > 0 mirrors AWS's result cache. */
  authorizerCacheTtlSeconds: number;
  /** How long a function may run before it counts as timed out: the stack's Lambda timeout by default. */
  functionTimeoutMs?: number;
  /** Sign-in page files by URL path ('/', '/verify', '/app.js', ...). */
  staticFiles?: Readonly<Record<string, StaticFile | DynamicFile>>;
  /** The key pair /admin requests must be SigV4-signed with (AWS_IAM routes); without it they are all refused. */
  adminKeys?: AdminKeyPair;
  /** The region the signatures are scoped to (the SDK signs for its configured region). */
  adminRegion?: string;
  /** One line per request, e.g. `POST /auth/login 200 41ms`. */
  log?: (line: string) => void;
  now?: () => number;
}

/** API Gateway's maximum request payload. The handlers enforce their own, much smaller limit. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Uint8Array;
}

interface CachedAuthorization {
  principalId: string;
  policyDocument: PolicyDocument;
  context: Record<string, unknown>;
  expiresAt: number;
}

type Authorization =
  | { outcome: 'allowed'; authorizer: Record<string, unknown> }
  | { outcome: 'refused'; type: GatewayResponseType; status: number };

function readBody(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit keep draining (so the client reads the 413) but stop buffering.
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: size > MAX_REQUEST_BYTES }));
    req.on('error', reject);
  });
}

/** How an invocation ended, as API Gateway sees it. */
type Invocation =
  | { outcome: 'returned'; result: unknown }
  | { outcome: 'threw'; error: unknown }
  /** Lambda stopped the function at its timeout: a function error, like a throw. */
  | { outcome: 'functionTimeout' }
  /** API Gateway stopped waiting (29 s) before Lambda did. */
  | { outcome: 'integrationTimeout' };

/**
 * Runs a handler the way Lambda and API Gateway bound it: whichever of the function's timeout and
 * the integration timeout comes first ends the wait. (Locally the handler's promise keeps running
 * in the background; on Lambda the sandbox is frozen. Its eventual result is ignored either way.)
 */
async function invokeWithin(handler: LambdaHandler, event: unknown, context: Context, functionTimeoutMs: number): Promise<Invocation> {
  let timer: NodeJS.Timeout | undefined;
  const functionTimesOutFirst = functionTimeoutMs <= INTEGRATION_TIMEOUT_MS;
  const timeout = new Promise<Invocation>((resolve) => {
    timer = setTimeout(
      () => resolve({ outcome: functionTimesOutFirst ? 'functionTimeout' : 'integrationTimeout' }),
      Math.min(functionTimeoutMs, INTEGRATION_TIMEOUT_MS),
    );
  });
  // A handler that throws before returning its promise fails the same way as one that rejects.
  const run = Promise.resolve().then(() => handler(event, context)).then(
    (result): Invocation => ({ outcome: 'returned', result }),
    (error: unknown): Invocation => ({ outcome: 'threw', error }),
  );
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}

function isProxyResult(result: unknown): result is {
  statusCode: number;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown[]>;
  body?: string;
  isBase64Encoded?: boolean;
} {
  if (typeof result !== 'object' || result === null) return false;
  const { statusCode, body, headers, multiValueHeaders } = result as Record<string, unknown>;
  return (
    Number.isInteger(statusCode) &&
    (statusCode as number) >= 100 &&
    (statusCode as number) <= 599 &&
    (body === undefined || body === null || typeof body === 'string') &&
    (headers === undefined || headers === null || typeof headers === 'object') &&
    (multiValueHeaders === undefined ||
      multiValueHeaders === null ||
      (typeof multiValueHeaders === 'object' && Object.values(multiValueHeaders).every(Array.isArray)))
  );
}

/**
 * A proxy result as the HTTP reply API Gateway sends: `headers` and `multiValueHeaders` merged,
 * where a name present in both keeps only its multiValueHeaders values (AWS's documented rule).
 */
function replyFromResult(result: unknown): Reply | undefined {
  if (!isProxyResult(result)) return undefined;
  const merged = new Map<string, { name: string; values: string[] }>();
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    merged.set(name.toLowerCase(), { name, values: values.map(String) });
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!merged.has(name.toLowerCase())) merged.set(name.toLowerCase(), { name, values: [String(value)] });
  }
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json' };
  for (const { name, values } of merged.values()) {
    if (name.toLowerCase() === 'content-type') delete headers['Content-Type'];
    headers[name] = values.length === 1 ? values[0]! : values;
  }
  const body = result.body ?? '';
  return { status: result.statusCode, headers, body: result.isBase64Encoded ? Buffer.from(body, 'base64') : body };
}

/** REST APIs hand authorizer context values to the integration as strings. */
function stringifyContext(context: Record<string, unknown>): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) if (value !== null && value !== undefined) strings[key] = String(value);
  return strings;
}

/** The route for a request and its path parameters; API Gateway prefers a literal segment over a parameter. */
function findRoute(table: readonly GatewayRoute[], method: string, path: string): { route: GatewayRoute; pathParameters: Record<string, string> } | undefined {
  const byLiteralsFirst = [...table].sort((a, b) => a.path.split('{').length - b.path.split('{').length);
  for (const route of byLiteralsFirst) {
    if (route.method !== method) continue;
    const pathParameters = matchPath(route.path, path);
    if (pathParameters) return { route, pathParameters };
  }
  return undefined;
}

/** The parts of a request a SigV4 signature covers, as they arrived. */
function signedRequestOf(request: IncomingRequest): SignedRequest {
  const url = new URL(request.url, 'http://local');
  const headers: Record<string, string> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    headers[name] = headers[name] === undefined ? request.rawHeaders[i + 1]! : `${headers[name]},${request.rawHeaders[i + 1]!}`;
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return { method: request.method, host: headers.host ?? '', path: url.pathname, query, headers, body: request.body };
}

const isResourcePath = (table: readonly GatewayRoute[], path: string) => table.some((route) => matchPath(route.path, path) !== undefined);

export function createGateway(options: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const now = options.now ?? Date.now;
  const teamRoutes = (options.teamRoutes ?? []).map((route) => ({ ...route, functionName: `team ${route.method} ${route.path}`, auth: 'protected' as const }));
  const table: readonly GatewayRoute[] = [...routes, ...teamRoutes];
  const handlers: Readonly<Record<string, LambdaHandler>> = { ...options.handlers, ...Object.fromEntries(teamRoutes.map((route) => [route.functionName, route.handler])) };
  const functionTimeoutMs = options.functionTimeoutMs ?? FUNCTION_TIMEOUT_MS;
  const invoke = (functionName: string, event: unknown) =>
    invokeWithin(handlerFor(functionName), event, lambdaContext(functionName, randomUUID(), functionTimeoutMs), functionTimeoutMs);
  const authorizationCache = new Map<string, CachedAuthorization>();

  const handlerFor = (functionName: string): LambdaHandler => {
    const handler = handlers[functionName];
    if (!handler) throw new Error(`No handler loaded for function "${functionName}"`);
    return handler;
  };

  function gatewayReply(type: GatewayResponseType, status: number, origin: string | undefined, requestId: string): Reply {
    const retryAfter = gatewayRetryAfterSeconds(type);
    return {
      status,
      headers: {
        'Content-Type': PROBLEM_CONTENT_TYPE,
        'x-amzn-RequestId': requestId,
        ...corsHeaders(origin, options.allowedOrigins),
        ...(retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) }),
      },
      body: gatewayResponseBody(type),
    };
  }

  async function callAuthorizer(events: ReturnType<typeof buildEvents>): Promise<CachedAuthorization | Authorization> {
    const ttlMs = options.authorizerCacheTtlSeconds * 1000;
    const cached = ttlMs > 0 ? authorizationCache.get(events.identity!) : undefined;
    if (cached && cached.expiresAt > now()) return cached;

    const invocation = await invoke(authorizer.functionName, events.authorizerEvent());
    if (invocation.outcome === 'threw') {
      const { error } = invocation;
      // The one error message API Gateway understands: 'Unauthorized' means 401.
      if (error instanceof Error && error.message === 'Unauthorized') return { outcome: 'refused', type: 'UNAUTHORIZED', status: 401 };
    }
    // Crashed or timed out: AUTHORIZER_FAILURE, a policy API Gateway cannot read:
    // AUTHORIZER_CONFIGURATION_ERROR; both answered 503 + Retry-After (shared/http/gateway-responses.ts).
    if (invocation.outcome !== 'returned') return { outcome: 'refused', type: 'AUTHORIZER_FAILURE', status: 503 };
    const { result } = invocation;
    if (!isWellFormedAuthorizerResult(result)) return { outcome: 'refused', type: 'AUTHORIZER_CONFIGURATION_ERROR', status: 503 };

    const authorization = {
      principalId: result.principalId,
      policyDocument: result.policyDocument,
      context: result.context ?? {},
      expiresAt: now() + ttlMs,
    };
    if (ttlMs > 0) authorizationCache.set(events.identity!, authorization);
    return authorization;
  }

  /** Runs the authorizer (or reuses its cached answer) and evaluates the policy against this method ARN. */
  async function authorize(events: ReturnType<typeof buildEvents>): Promise<Authorization> {
    // With an identity source configured, API Gateway answers 401 itself when the header is absent.
    if (events.identity === undefined) return { outcome: 'refused', type: 'UNAUTHORIZED', status: 401 };
    const startedAt = now();
    const answer = await callAuthorizer(events);
    if ('outcome' in answer) return answer;
    // A cached policy is re-evaluated against each new method ARN, exactly as on AWS.
    if (evaluatePolicy(answer.policyDocument, events.methodArn) === 'Deny') {
      return { outcome: 'refused', type: 'ACCESS_DENIED', status: 403 };
    }
    return {
      outcome: 'allowed',
      authorizer: { ...stringifyContext(answer.context), principalId: answer.principalId, integrationLatency: now() - startedAt },
    };
  }

  async function invokeRoute(
    { route, pathParameters }: NonNullable<ReturnType<typeof findRoute>>,
    request: IncomingRequest,
    origin: string | undefined,
  ): Promise<Reply> {
    const events = buildEvents(request, { resource: route.path, resourceId: route.functionName, pathParameters }, authorizer.identitySource);
    let authorizerContext: Record<string, unknown> | undefined;
    let iamUserArn: string | undefined;
    if (route.auth === 'iam') {
      // AWS_IAM: a SigV4 signature of the local admin key pair, fresh, over what arrived; else 403.
      if (!options.adminKeys || !(await verifySigV4(signedRequestOf(request), options.adminKeys, options.adminRegion ?? 'us-east-1', now()))) {
        return gatewayReply('INVALID_SIGNATURE', 403, origin, events.requestId);
      }
      iamUserArn = LOCAL_ADMIN_ARN;
    }
    if (route.auth === 'protected') {
      const authorization = await authorize(events);
      if (authorization.outcome === 'refused') return gatewayReply(authorization.type, authorization.status, origin, events.requestId);
      authorizerContext = authorization.authorizer;
    }

    const invocation = await invoke(route.functionName, events.proxyEvent(authorizerContext, iamUserArn));
    // A function error, a Lambda timeout included ("Task timed out"), reaches the client as 502
    // "Internal server error", never with its message; only the 29 s integration timeout is a 504.
    if (invocation.outcome === 'threw' || invocation.outcome === 'functionTimeout') return gatewayReply('DEFAULT_5XX', 502, origin, events.requestId);
    if (invocation.outcome === 'integrationTimeout') return gatewayReply('DEFAULT_5XX', 504, origin, events.requestId);
    const reply = replyFromResult(invocation.result);
    if (!reply) return gatewayReply('DEFAULT_5XX', 502, origin, events.requestId);
    reply.headers['x-amzn-RequestId'] = events.requestId;
    return reply;
  }

  async function staticReply(path: string): Promise<Reply | undefined> {
    const entry = options.staticFiles?.[path];
    if (!entry) return undefined;
    const file = typeof entry === 'function' ? await entry() : entry;
    return {
      status: 200,
      headers: {
        'Content-Type': file.contentType,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        // The page's URL may carry a mail-link token: never send it on in a Referer.
        'Referrer-Policy': 'no-referrer',
        ...file.headers,
      },
      body: file.body,
    };
  }

  async function respond(req: IncomingMessage): Promise<Reply> {
    if (!isLoopbackHost(req.headers.host)) return misdirectedReply();
    const { body, tooLarge } = await readBody(req);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const origin = req.headers.origin;
    const requestId = randomUUID();

    if (path === '/health' && method === 'GET') {
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'ok', handlers: options.handlerSource ?? 'sources' }) };
    }
    if (method === 'OPTIONS' && isResourcePath(table, path)) {
      return { status: 204, headers: { ...preflightHeaders(origin, options.allowedOrigins) }, body: '' };
    }
    const route = findRoute(table, method, path);
    if (!route) {
      const page = method === 'GET' || method === 'HEAD' ? await staticReply(path) : undefined;
      return page ?? gatewayReply('MISSING_AUTHENTICATION_TOKEN', 404, origin, requestId);
    }
    if (tooLarge) return gatewayReply('REQUEST_TOO_LARGE', 413, origin, requestId);

    const request: IncomingRequest = {
      method,
      url: req.url ?? '/',
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      localPort: req.socket.localPort ?? 0,
    };
    return invokeRoute(route, request, origin);
  }

  return (req, res) => {
    const startedAt = Date.now();
    respond(req)
      .catch((): Reply => ({ status: 500, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE }, body: gatewayResponseBody('DEFAULT_5XX') }))
      .then((reply) => {
        res.writeHead(reply.status, reply.headers);
        res.end(req.method === 'HEAD' ? undefined : reply.body);
        // The path only: a query may carry a verification token, and logs never hold tokens.
        options.log?.(`${req.method} ${new URL(req.url ?? '/', 'http://local').pathname} ${reply.status} ${Date.now() - startedAt}ms`);
      });
  };
}
