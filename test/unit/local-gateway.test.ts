import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, MAX_REQUEST_BYTES, type GatewayOptions, type LambdaHandler } from '../../infra/local/gateway';
import { evaluatePolicy } from '../../infra/local/policy';

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

  it('serves the demo page files at their paths, files made per request, and /health', async () => {
    // Prepare
    let made = 0;
    const url = await startGateway({
      handlers: {},
      staticFiles: {
        '/verify': { contentType: 'text/html', body: '<p>demo</p>' },
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
    ['throws anything else', async () => { throw new Error('boom'); }, 500, 'internal_error'],
    ['returns no policy', async () => ({ principalId: 'x' }), 500, 'internal_error'],
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
