import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { authorizer, routes, type Route } from '../../shared/routes';
import { corsHeaders, preflightHeaders } from '../../shared/http/cors';
import { gatewayResponseBody, type GatewayResponseType } from '../../shared/http/gateway-responses';
import { PROBLEM_CONTENT_TYPE } from '../../shared/errors';
import { buildEvents, INTEGRATION_TIMEOUT_MS, lambdaContext, type IncomingRequest } from './events';
import { evaluatePolicy, isWellFormedAuthorizerResult, type PolicyDocument } from './policy';

/**
 * The local API Gateway: a node:http request listener generated from the route table in
 * shared/routes.ts. It does what the deployed REST API does between the client and the
 * functions: routing, CORS preflights, the 10 MB payload limit, the REQUEST authorizer (IAM
 * policy evaluated against the method ARN, result cache keyed by the Authorization header),
 * proxy integration events and results, and the problem+json Gateway Responses.
 * It also serves the demo page and `GET /health` on the same port.
 */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface StaticFile {
  contentType: string;
  body: string | Uint8Array;
}

/** A file made at each request (the demo's dev inbox relays the local mail store). */
export type DynamicFile = () => Promise<StaticFile>;

export interface GatewayOptions {
  /** Every function of shared/routes.ts by functionName, the authorizer included. */
  handlers: Readonly<Record<string, LambdaHandler>>;
  allowedOrigins: readonly string[];
  /** 0 = no caching (the local default, so a logout shows at once); > 0 mirrors AWS's result cache. */
  authorizerCacheTtlSeconds: number;
  /** Demo page files by URL path ('/', '/verify', '/app.js', ...). */
  staticFiles?: Readonly<Record<string, StaticFile | DynamicFile>>;
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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

const routeKey = (method: string, path: string) => `${method} ${path}`;

export function createGateway(options: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const now = options.now ?? Date.now;
  const routesByKey = new Map<string, Route>(routes.map((r) => [routeKey(r.method, r.path), r]));
  const resourcePaths = new Set(routes.map((r) => r.path));
  const authorizationCache = new Map<string, CachedAuthorization>();

  const handlerFor = (functionName: string): LambdaHandler => {
    const handler = options.handlers[functionName];
    if (!handler) throw new Error(`No handler loaded for function "${functionName}"`);
    return handler;
  };

  function gatewayReply(type: GatewayResponseType, status: number, origin: string | undefined, requestId: string): Reply {
    return {
      status,
      headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'x-amzn-RequestId': requestId, ...corsHeaders(origin, options.allowedOrigins) },
      body: gatewayResponseBody(type),
    };
  }

  async function callAuthorizer(events: ReturnType<typeof buildEvents>): Promise<CachedAuthorization | Authorization> {
    const ttlMs = options.authorizerCacheTtlSeconds * 1000;
    const cached = ttlMs > 0 ? authorizationCache.get(events.identity!) : undefined;
    if (cached && cached.expiresAt > now()) return cached;

    let result: unknown;
    try {
      result = await handlerFor(authorizer.functionName)(events.authorizerEvent(), lambdaContext(authorizer.functionName, randomUUID()));
    } catch (error) {
      // The one error message API Gateway understands: 'Unauthorized' means 401.
      if (error instanceof Error && error.message === 'Unauthorized') return { outcome: 'refused', type: 'UNAUTHORIZED', status: 401 };
      return { outcome: 'refused', type: 'DEFAULT_5XX', status: 500 };
    }
    if (!isWellFormedAuthorizerResult(result)) return { outcome: 'refused', type: 'DEFAULT_5XX', status: 500 };

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

  async function invokeRoute(route: Route, request: IncomingRequest, origin: string | undefined): Promise<Reply> {
    const events = buildEvents(request, { resource: route.path, resourceId: route.functionName }, authorizer.identitySource);
    let authorizerContext: Record<string, unknown> | undefined;
    if (route.auth === 'protected') {
      const authorization = await authorize(events);
      if (authorization.outcome === 'refused') return gatewayReply(authorization.type, authorization.status, origin, events.requestId);
      authorizerContext = authorization.authorizer;
    }

    let result: unknown;
    try {
      const invocation = handlerFor(route.functionName)(events.proxyEvent(authorizerContext), lambdaContext(route.functionName, randomUUID()));
      result = await withTimeout(invocation, INTEGRATION_TIMEOUT_MS);
    } catch {
      // A function error reaches the client as 502 "Internal server error", never as its message.
      return gatewayReply('DEFAULT_5XX', 502, origin, events.requestId);
    }
    if (result === 'timeout') return gatewayReply('DEFAULT_5XX', 504, origin, events.requestId);
    const reply = replyFromResult(result);
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
      },
      body: file.body,
    };
  }

  async function respond(req: IncomingMessage): Promise<Reply> {
    const { body, tooLarge } = await readBody(req);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const origin = req.headers.origin;
    const requestId = randomUUID();

    if (path === '/health' && method === 'GET') {
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'ok' }) };
    }
    if (method === 'OPTIONS' && resourcePaths.has(path)) {
      return { status: 204, headers: { ...preflightHeaders(origin, options.allowedOrigins) }, body: '' };
    }
    const route = routesByKey.get(routeKey(method, path));
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
