import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, MAX_REQUEST_BYTES, type GatewayOptions, type LambdaHandler } from '../../infra/local/gateway';
import { FUNCTION_TIMEOUT_MS } from '../../infra/local/events';
import { guardHost, isLoopbackHost } from '../../infra/local/host-guard';
import { evaluatePolicy } from '../../infra/local/policy';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../../shared/errors';
import { FUNCTION_TIMEOUT_SECONDS } from '../../shared/routes';
import { getWithHost } from '../support/http';

/**
 * The local gateway with tiny fake functions in place of the real handlers: what API Gateway
 * would hand them, and what it makes of their answers.
 */
const ORIGIN = 'http://localhost:3000';
const METHOD_ARN_PREFIX = 'arn:aws:execute-api:local:000000000000:localapi/local';

const allowEverything = (principalId = 'user-1', context: Record<string, unknown> = { userId: 'user-1', sessionId: 's-1' }) => ({
  principalId,
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${METHOD_ARN_PREFIX}/*/*` }] },
  context,
});

const ok: LambdaHandler = async () => ({ statusCode: 200, body: '{"ok":true}' });

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function startGateway(options: Partial<GatewayOptions> & { handlers: GatewayOptions['handlers'] }): Promise<string> {
  server = createServer(createGateway({ allowedOrigins: [ORIGIN], authorizerCacheTtlSeconds: 0, ...options }));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

/** A fake function that remembers the events it was given. */
function recording(reply: LambdaHandler = ok) {
  const events: unknown[] = [];
  const handler: LambdaHandler = async (event, context) => {
    events.push(event);
    return reply(event, context);
  };
  return { handler, events };
}

describe('local gateway: proxy integration', () => {
  it('hands the handler a REST proxy event with resource, headers, query, body and request context', async () => {
    // Prepare
    const login = recording();
    const url = await startGateway({ handlers: { login: login.handler } });

    // Act
    await fetch(`${url}/auth/login?a=1&a=2&b=x`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' },
      body: '{"email":"a@example.com"}',
    });

    // Assess
    const event = login.events[0] as APIGatewayProxyEvent;
    expect(event).toMatchObject({
      resource: '/auth/login',
      path: '/auth/login',
      httpMethod: 'POST',
      body: '{"email":"a@example.com"}',
      isBase64Encoded: false,
      pathParameters: null,
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      requestContext: { stage: 'local', httpMethod: 'POST', resourcePath: '/auth/login', path: '/auth/login', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event.headers['X-Custom'] ?? event.headers['x-custom']).toBe('yes');
    expect(Object.values(event.multiValueHeaders).some((values) => values?.includes('yes'))).toBe(true);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives a request without a body a null body and no query parameters', async () => {
    // Prepare
    const jwks = recording();
    const url = await startGateway({ handlers: { jwks: jwks.handler } });

    // Act
    await fetch(`${url}/.well-known/jwks.json`);

    // Assess
    expect(jwks.events[0]).toMatchObject({ body: null, isBase64Encoded: false, queryStringParameters: null, multiValueQueryStringParameters: null });
  });

  it('hands a binary body over base64-encoded', async () => {
    // Prepare
    const login = recording();
    const url = await startGateway({ handlers: { login: login.handler } });
    const bytes = Buffer.from([0xff, 0x00, 0x10]);

    // Act
    await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });

    // Assess
    expect(login.events[0]).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });

  it('turns statusCode, headers, multi-value Set-Cookie headers and the body into the HTTP reply', async () => {
    // Prepare
    const url = await startGateway({
      handlers: {
        login: async () => ({
          statusCode: 201,
          headers: { 'X-One': 'from-headers', 'X-Both': 'dropped' },
          multiValueHeaders: { 'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/'], 'X-Both': ['kept'] },
          body: '{"created":true}',
        }),
      },
    });

    // Act
    const response = await fetch(`${url}/auth/login`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(response.headers.get('x-one')).toBe('from-headers');
    expect(response.headers.get('x-both')).toBe('kept');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ created: true });
  });

  it('decodes a base64-encoded handler body', async () => {
    // Prepare
    const url = await startGateway({
      handlers: { jwks: async () => ({ statusCode: 200, headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('hello').toString('base64'), isBase64Encoded: true }) },
    });

    // Act
    const response = await fetch(`${url}/.well-known/jwks.json`);

    // Assess
    expect(await response.text()).toBe('hello');
  });

  it('answers 502 problem+json with CORS headers, and no internal message, when a handler throws', async () => {
    // Prepare
    const url = await startGateway({ handlers: { login: async () => { throw new Error('secret internals'); } } });

    // Act
    const response = await fetch(`${url}/auth/login`, { method: 'POST', headers: { Origin: ORIGIN } });

    // Assess
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(JSON.parse(text)).toMatchObject({ code: 'internal_error' });
    expect(text).not.toContain('secret internals');
  });

  it('answers 502 when a handler returns something that is not a proxy result', async () => {
    // Prepare
    const url = await startGateway({ handlers: { login: async () => ({ body: { not: 'a string' } }) } });

    // Act
    const response = await fetch(`${url}/auth/login`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(502);
  });
});

describe('local gateway: function timeout', () => {
  it('answers 502 internal_error, as API Gateway does for a Lambda "Task timed out", once a function runs past its timeout', async () => {
    // Prepare
    const hanging: LambdaHandler = () => new Promise(() => undefined);
    const url = await startGateway({ handlers: { login: hanging }, functionTimeoutMs: 50 });

    // Act
    const response = await fetch(`${url}/auth/login`, { method: 'POST', headers: { Origin: ORIGIN } });

    // Assess
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await response.json()).toMatchObject({ code: 'internal_error' });
  });

  it('still hands over the answer of a function that finishes within its timeout', async () => {
    // Prepare
    const slowButInTime: LambdaHandler = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '{"ok":true}' }), 20));
    const url = await startGateway({ handlers: { login: slowButInTime }, functionTimeoutMs: 2_000 });

    // Act
    const response = await fetch(`${url}/auth/login`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(200);
  });

  it("gives each function the stack's Lambda timeout by default, and tells the handler through its context", async () => {
    // Prepare
    let remainingMs = -1;
    const url = await startGateway({
      handlers: {
        jwks: async (_event, context) => {
          remainingMs = context.getRemainingTimeInMillis();
          return { statusCode: 200, body: '{}' };
        },
      },
    });

    // Act
    await fetch(`${url}/.well-known/jwks.json`);

    // Assess
    expect(FUNCTION_TIMEOUT_MS).toBe(FUNCTION_TIMEOUT_SECONDS * 1000);
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(FUNCTION_TIMEOUT_MS);
  });
});

describe('local gateway: routing, CORS and limits', () => {
  it('answers 404 not_found for an unknown path and for a method the path does not have', async () => {
    // Prepare
    const url = await startGateway({ handlers: { login: ok } });

    // Act
    const unknown = await fetch(`${url}/nope`);
    const wrongMethod = await fetch(`${url}/auth/login`);

    // Assess
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'not_found' });
    expect(wrongMethod.status).toBe(404);
  });

  it('answers a CORS preflight from the allowlist and gives other origins no CORS headers', async () => {
    // Prepare
    const url = await startGateway({ handlers: {} });

    // Act
    const allowed = await fetch(`${url}/auth/login`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' } });
    const foreign = await fetch(`${url}/auth/login`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });

    // Assess
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('rejects a body over 10 MB with 413 without calling the handler', async () => {
    // Prepare
    const login = recording();
    const url = await startGateway({ handlers: { login: login.handler } });

    // Act
    const response = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(login.events).toHaveLength(0);
  });

  it('serves the page files at their paths with their own headers, files made per request, and /health', async () => {
    // Prepare
    let made = 0;
    const url = await startGateway({
      handlers: {},
      staticFiles: {
        '/verify': { contentType: 'text/html', body: '<p>demo</p>', headers: { 'Content-Security-Policy': "frame-ancestors 'none'" } },
        '/app.js': { contentType: 'text/javascript', body: 'run()' },
        '/dev/mails': async () => ({ contentType: 'application/json', body: JSON.stringify({ made: ++made }) }),
      },
    });

    // Act
    const page = await fetch(`${url}/verify?token=abc`);
    const script = await fetch(`${url}/app.js`);
    await fetch(`${url}/dev/mails`);
    const mails = await fetch(`${url}/dev/mails`);
    const unknown = await fetch(`${url}/reset-password`);
    const health = await fetch(`${url}/health`);

    // Assess
    expect(await page.text()).toBe('<p>demo</p>');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(await script.text()).toBe('run()');
    expect(await mails.json()).toEqual({ made: 2 });
    expect(unknown.status).toBe(404);
    expect(health.status).toBe(200);
  });
});

describe('local gateway: the REQUEST authorizer', () => {
  it('answers 401 without calling the authorizer when the Authorization header is missing', async () => {
    // Prepare
    const authorizer = recording(async () => allowEverything());
    const url = await startGateway({ handlers: { authorizer: authorizer.handler, me: ok } });

    // Act
    const response = await fetch(`${url}/me`, { headers: { Origin: ORIGIN } });

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(authorizer.events).toHaveLength(0);
  });

  it('calls the authorizer with a REQUEST event for the method ARN and passes its context to the handler', async () => {
    // Prepare
    const authorizer = recording(async () => allowEverything('user-7', { userId: 'user-7', sessionId: 's-9', level: 3 }));
    const me = recording();
    const url = await startGateway({ handlers: { authorizer: authorizer.handler, me: me.handler } });

    // Act
    const response = await fetch(`${url}/me`, { headers: { Authorization: 'Bearer abc' } });

    // Assess
    expect(response.status).toBe(200);
    const authorizerEvent = authorizer.events[0] as APIGatewayRequestAuthorizerEvent;
    expect(authorizerEvent).toMatchObject({ type: 'REQUEST', methodArn: `${METHOD_ARN_PREFIX}/GET/me`, resource: '/me', httpMethod: 'GET' });
    expect(Object.entries(authorizerEvent.headers ?? {})).toContainEqual(['Authorization', 'Bearer abc']);
    expect((me.events[0] as APIGatewayProxyEvent).requestContext.authorizer).toMatchObject({
      principalId: 'user-7',
      userId: 'user-7',
      sessionId: 's-9',
      level: '3',
    });
  });

  it.each([
    ['throws "Unauthorized"', async () => { throw new Error('Unauthorized'); }, 401, 'unauthorized'],
    ['throws anything else (AUTHORIZER_FAILURE)', async () => { throw new Error('boom'); }, 503, 'service_unavailable'],
    ['returns no policy (AUTHORIZER_CONFIGURATION_ERROR)', async () => ({ principalId: 'x' }), 503, 'service_unavailable'],
    ['returns a Deny', async () => ({ principalId: 'x', policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: '*' }] } }), 403, 'forbidden'],
  ] as const)('answers %s from the authorizer with %i and never calls the handler', async (_, authorizer, status, code) => {
    // Prepare
    const me = recording();
    const url = await startGateway({ handlers: { authorizer, me: me.handler } });

    // Act
    const response = await fetch(`${url}/me`, { headers: { Authorization: 'Bearer abc', Origin: ORIGIN } });

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await response.json()).toMatchObject({ code });
    expect(me.events).toHaveLength(0);
  });

  it('answers an authorizer outage with 503 and Retry-After, as the deployed Gateway Responses do', async () => {
    // Prepare
    const url = await startGateway({ handlers: { authorizer: async () => { throw new Error('DynamoDB is down'); }, me: ok } });

    // Act
    const response = await fetch(`${url}/me`, { headers: { Authorization: 'Bearer abc' } });

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
    expect(await response.text()).not.toContain('DynamoDB');
  });

  it('answers 503 when the authorizer runs past its timeout, and never calls the handler', async () => {
    // Prepare
    const me = recording();
    const hanging: LambdaHandler = () => new Promise(() => undefined);
    const url = await startGateway({ handlers: { authorizer: hanging, me: me.handler }, functionTimeoutMs: 50 });

    // Act
    const response = await fetch(`${url}/me`, { headers: { Authorization: 'Bearer abc' } });

    // Assess
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'service_unavailable' });
    expect(me.events).toHaveLength(0);
  });

  it('asks the authorizer again on every request when the cache TTL is 0', async () => {
    // Prepare
    const authorizer = recording(async () => allowEverything());
    const url = await startGateway({ handlers: { authorizer: authorizer.handler, me: ok }, authorizerCacheTtlSeconds: 0 });

    // Act
    for (let i = 0; i < 3; i++) await fetch(`${url}/me`, { headers: { Authorization: 'Bearer same' } });

    // Assess
    expect(authorizer.events).toHaveLength(3);
  });

  it('caches the authorizer answer per Authorization header for the TTL, then asks again', async () => {
    // Prepare
    let clock = 1_000_000;
    const authorizer = recording(async () => allowEverything());
    const url = await startGateway({ handlers: { authorizer: authorizer.handler, me: ok }, authorizerCacheTtlSeconds: 30, now: () => clock });

    // Act
    await fetch(`${url}/me`, { headers: { Authorization: 'Bearer one' } });
    await fetch(`${url}/me`, { headers: { Authorization: 'Bearer one' } });
    await fetch(`${url}/me`, { headers: { Authorization: 'Bearer two' } });
    clock += 31_000;
    await fetch(`${url}/me`, { headers: { Authorization: 'Bearer one' } });

    // Assess
    expect(authorizer.events).toHaveLength(3);
  });

  it('re-evaluates a cached policy against the method ARN of each new request, as AWS does', async () => {
    // Prepare: a policy that only allows the method it was first asked for.
    const authorizer = recording(async (event) => ({
      principalId: 'user-1',
      policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: (event as APIGatewayRequestAuthorizerEvent).methodArn }] },
      context: { userId: 'user-1', sessionId: 's-1' },
    }));
    const url = await startGateway({ handlers: { authorizer: authorizer.handler, me: ok, logout: ok }, authorizerCacheTtlSeconds: 30 });

    // Act
    const first = await fetch(`${url}/me`, { headers: { Authorization: 'Bearer one' } });
    const other = await fetch(`${url}/auth/logout`, { method: 'POST', headers: { Authorization: 'Bearer one' } });

    // Assess
    expect(first.status).toBe(200);
    expect(other.status).toBe(403);
    expect(authorizer.events).toHaveLength(1);
  });
});

describe('IAM policy evaluation against a method ARN', () => {
  const arn = `${METHOD_ARN_PREFIX}/GET/me`;
  const statement = (Effect: string, Resource: string | string[], Action: string | string[] = 'execute-api:Invoke') => ({ Effect, Action, Resource });

  it.each([
    ['an exact Allow', [statement('Allow', arn)], 'Allow'],
    ['an Allow with * in the resource', [statement('Allow', `${METHOD_ARN_PREFIX}/*/*`)], 'Allow'],
    ['an Allow with ? in the resource', [statement('Allow', `${METHOD_ARN_PREFIX}/GE?/me`)], 'Allow'],
    ['an Allow in a list of resources', [statement('Allow', ['arn:other', arn])], 'Allow'],
    ['an Allow with a wildcard action', [statement('Allow', '*', 'execute-api:*')], 'Allow'],
    ['an Allow for another method', [statement('Allow', `${METHOD_ARN_PREFIX}/POST/me`)], 'Deny'],
    ['an Allow for another action', [statement('Allow', arn, 'execute-api:ManageConnections')], 'Deny'],
    ['no statement at all', [], 'Deny'],
    ['an explicit Deny next to an Allow', [statement('Allow', '*'), statement('Deny', `${METHOD_ARN_PREFIX}/GET/*`)], 'Deny'],
  ] as const)('decides %s as %s', (_, statements, decision) => {
    expect(evaluatePolicy({ Version: '2012-10-17', Statement: statements }, arn)).toBe(decision);
  });

  it('reads a single statement object as well as a list', () => {
    expect(evaluatePolicy({ Statement: statement('Allow', arn) }, arn)).toBe('Allow');
  });
});

describe('local gateway: path parameters', () => {
  it('routes /auth/sessions/<id> to the {id} route with pathParameters, resource and a method ARN naming the path called', async () => {
    // Prepare
    const revoke = recording(async () => ({ statusCode: 204, body: '' }));
    const authorizer = recording(async () => allowEverything());
    const url = await startGateway({ handlers: { 'revoke-session': revoke.handler, authorizer: authorizer.handler } });

    // Act
    const reply = await fetch(`${url}/auth/sessions/abc%2D123_x`, { method: 'DELETE', headers: { Authorization: 'Bearer a.b.c' } });

    // Assess
    expect(reply.status).toBe(204);
    const event = revoke.events[0] as APIGatewayProxyEvent;
    expect(event).toMatchObject({
      resource: '/auth/sessions/{id}',
      path: '/auth/sessions/abc%2D123_x',
      httpMethod: 'DELETE',
      pathParameters: { id: 'abc-123_x' },
      requestContext: { resourcePath: '/auth/sessions/{id}', authorizer: { userId: 'user-1', sessionId: 's-1' } },
    });
    expect(authorizer.events[0]).toMatchObject({
      resource: '/auth/sessions/{id}',
      pathParameters: { id: 'abc-123_x' },
      methodArn: `${METHOD_ARN_PREFIX}/DELETE/auth/sessions/abc%2D123_x`,
    });
  });

  it('keeps the literal /auth/sessions route apart from the {id} route', async () => {
    const list = recording();
    const url = await startGateway({ handlers: { 'list-sessions': list.handler, authorizer: async () => allowEverything() } });

    const reply = await fetch(`${url}/auth/sessions`, { headers: { Authorization: 'Bearer a.b.c' } });

    expect(reply.status).toBe(200);
    expect(list.events[0]).toMatchObject({ resource: '/auth/sessions', pathParameters: null });
  });

  it.each([
    ['an empty id', '/auth/sessions/'],
    ['an extra segment', '/auth/sessions/abc/def'],
    ['a malformed percent-encoding', '/auth/sessions/%E0%A4%A'],
  ])('answers 404 for %s without calling any function', async (_case, path) => {
    const revoke = recording();
    const authorizer = recording(async () => allowEverything());
    const url = await startGateway({ handlers: { 'revoke-session': revoke.handler, authorizer: authorizer.handler } });

    const reply = await fetch(`${url}${path}`, { method: 'DELETE', headers: { Authorization: 'Bearer a.b.c' } });

    expect(reply.status).toBe(404);
    expect(revoke.events).toHaveLength(0);
    expect(authorizer.events).toHaveLength(0);
  });

  it('answers preflights on a parameterised path, allowing DELETE', async () => {
    const url = await startGateway({ handlers: {} });

    const reply = await fetch(`${url}/auth/sessions/abc`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'DELETE' } });

    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-methods')?.split(',')).toContain('DELETE');
  });
});

describe('local servers and DNS rebinding', () => {
  it.each(['localhost', 'localhost:3000', 'LOCALHOST:3000', '127.0.0.1', '127.0.0.1:8025', '[::1]', '[::1]:3000'])('accept the loopback Host %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    'evil.example',
    'evil.example:3000',
    'localhost.evil.example',
    'localhost.',
    '127.0.0.2',
    '127.0.0.1.nip.io',
    '[::2]',
    '::1',
    'localhost:3000:1',
    'localhost@evil.example',
    '',
    undefined,
  ])('refuse the Host %j', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('the gateway answers a rebound request with 421 problem+json and never calls the function', async () => {
    // Prepare
    const jwks = recording();
    const url = await startGateway({ handlers: { jwks: jwks.handler } });

    // Act
    const rebound = await getWithHost(`${url}/.well-known/jwks.json`, 'evil.example');
    const page = await getWithHost(`${url}/health`, 'attacker.example:80');
    const local = await getWithHost(`${url}/.well-known/jwks.json`, `localhost:${new URL(url).port}`);

    // Assess
    expect(rebound.status).toBe(421);
    expect(rebound.contentType).toBe('application/problem+json');
    expect(JSON.parse(rebound.body)).toMatchObject({ status: 421, code: 'misdirected_request' });
    expect(page.status).toBe(421);
    expect(local.status).toBe(200);
    expect(jwks.events).toHaveLength(1);
  });

  it('the guard in front of a server it did not build (the mail store) refuses other hosts and passes loopback ones on', async () => {
    // Prepare
    const seen: string[] = [];
    server = guardHost(createServer((req, res) => void (seen.push(req.url!), res.end('mails'))));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // Act
    const rebound = await getWithHost(`${url}/store`, 'evil.example');
    const local = await getWithHost(`${url}/store`, '[::1]');

    // Assess
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toMatchObject({ code: 'misdirected_request' });
    expect(local).toMatchObject({ status: 200, body: 'mails' });
    expect(seen).toEqual(['/store']);
  });
});

describe('local gateway: the team\'s own routes', () => {
  it('puts a team route behind the authorizer: 401 without a token, the caller\'s context with one', async () => {
    // Prepare
    const orders = recording();
    const authorizer = recording(async () => allowEverything());
    const url = await startGateway({ handlers: { authorizer: authorizer.handler }, teamRoutes: [{ method: 'GET', path: '/orders/{id}', handler: orders.handler }] });

    // Act
    const anonymous = await fetch(`${url}/orders/o-1`, { headers: { Origin: ORIGIN } });
    const signedIn = await fetch(`${url}/orders/o-1`, { headers: { Authorization: 'Bearer token' } });

    // Assess
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('Content-Type')).toBe('application/problem+json');
    expect(anonymous.headers.get('Access-Control-Allow-Origin')).toBe(ORIGIN);
    expect(signedIn.status).toBe(200);
    expect(orders.events).toHaveLength(1);
    expect(orders.events[0]).toMatchObject({ resource: '/orders/{id}', pathParameters: { id: 'o-1' }, requestContext: { authorizer: { userId: 'user-1', sessionId: 's-1' } } });
  });

  it('answers the preflight of a team route with PUT and PATCH allowed', async () => {
    // Prepare
    const url = await startGateway({ handlers: {}, teamRoutes: [{ method: 'PATCH', path: '/orders', handler: ok }] });

    // Act
    const preflight = await fetch(`${url}/orders`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PATCH' } });

    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Methods')?.split(',')).toEqual(expect.arrayContaining(['PUT', 'PATCH']));
  });
});
