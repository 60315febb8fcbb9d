import { createHash, createSign, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SECRET_CACHE_MS } from '../../shared/cached-loader';
import { resetConfig } from '../../shared/config';
import { ddbMock, secretsMock } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';

/**
 * The provider's client secret as the callback reads it from Secrets Manager: kept for a bounded
 * time, and read again at once when the token endpoint refuses it. The provider is a stand-in on
 * loopback that answers discovery and a token endpoint which accepts only THE_SECRET (then refuses
 * the made-up code with invalid_grant, which is enough to see which secret got through). For a
 * code `audience:<client>` it answers an ID token signed with the key it publishes, right in every
 * claim but issued to <client>: oauth4webapi's real checks run on it, nothing is mocked there.
 */
// The refusal's warning is printed (the test environment is otherwise silent); before the Logger is made.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
});

const THE_SECRET = 'the-secret-the-operator-set';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:IdentityProviderslocal';
const presented: string[] = [];
let provider: Server;

/** The ways token endpoints say "not this client secret". */
const refusals = {
  'invalid_client': (response: ServerResponse) => response.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"invalid_client"}'),
  'invalid_client with a WWW-Authenticate challenge': (response: ServerResponse) =>
    response.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="token"' }).end('{"error":"invalid_client"}'),
  'GitHub’s 200 incorrect_client_credentials': (response: ServerResponse) =>
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"error":"incorrect_client_credentials"}'),
};
let refuseClient = refusals.invalid_client;
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** An ID token the stand-in signs with its published key: right in every claim but the audience it is given. */
function idToken(issuer: string, audience: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${part({ alg: 'ES256', kid: 'k1', typ: 'JWT' })}.${part({
    iss: issuer, sub: 'sub-aud', aud: audience, iat: now, exp: now + 300, nonce: 'n', email: 'aud@example.com', email_verified: true,
  })}`;
  return `${input}.${createSign('SHA256').update(input).sign({ key: signingKey.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
let callback: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  provider = createServer((request, response) => {
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    const reply = (status: number, body: object) => response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (request.url === '/.well-known/openid-configuration') {
      return reply(200, {
        issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['ES256'],
      });
    }
    if (request.url === '/jwks') return reply(200, { keys: [{ ...signingKey.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] });
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const basic = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
      const secret = decodeURIComponent(basic.slice(basic.indexOf(':') + 1));
      presented.push(secret);
      if (secret !== THE_SECRET) return refuseClient(response);
      const audience = /(?:^|&)code=audience%3A([^&]+)/.exec(body)?.[1];
      if (audience === undefined) return reply(400, { error: 'invalid_grant' });
      return reply(200, { access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: idToken(issuer, decodeURIComponent(audience)) });
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  // The handler reads its configuration when it is loaded: the provider must be there first.
  process.env.IDENTITY_PROVIDERS = JSON.stringify([{ id: 'local', preset: 'oidc', clientId: 'c', issuer, trustEmail: true, clientSecretId: SECRET_ARN }]);
  resetConfig();
  ({ handler: callback } = (await import('../../functions/oauth-callback/handler')) as unknown as { handler: typeof callback });
});

afterAll(async () => {
  delete process.env.IDENTITY_PROVIDERS;
  resetConfig();
  await new Promise((resolve) => provider.close(resolve));
});

/** What the functions print (their warnings), kept off the terminal and read by the tests. */
let logged: string[] = [];

beforeEach(() => {
  logged = [];
  const capture = (chunk: string | Uint8Array) => logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) > 0;
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  presented.length = 0;
  refuseClient = refusals.invalid_client;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A callback from this browser for a flow it started (the table hands the flow back once). */
async function callbackFromTheProvider(code = 'the-code'): Promise<APIGatewayProxyResult> {
  ddbMock.on(DeleteCommand).resolves({
    Attributes: {
      purpose: 'oauth_flow', validUntil: Date.now() + 60_000,
      flow: { provider: 'local', verifier: 'v'.repeat(43), nonce: 'n', returnTo: '/', intent: 'signin', browserBinding: createHash('sha256').update('browser').digest('base64url') },
    },
  });
  const event = apiEvent({
    method: 'GET', path: '/auth/oauth/local/callback', resource: '/auth/oauth/{provider}/callback', pathParameters: { provider: 'local' }, headers: { Cookie: 'oauth_flow=browser' },
  });
  return callback({ ...event, queryStringParameters: { state: 'the-state', code } }, lambdaContext);
}

const secretReads = () => secretsMock.commandCalls(GetSecretValueCommand).length;

describe('the provider client secret in a warm callback function', () => {
  it.each(Object.keys(refusals) as Array<keyof typeof refusals>)('reads the secret again at once and retries the exchange when the token endpoint answers %s', async (refusal) => {
    // Prepare: the function first reads the placeholder; the operator has set the value since
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 100 * SECRET_CACHE_MS * (Object.keys(refusals).indexOf(refusal) + 1));
    refuseClient = refusals[refusal];
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolvesOnce({ SecretString: 'placeholder' }).resolves({ SecretString: THE_SECRET });

    // Act
    const reply = await callbackFromTheProvider();

    // Assess: the second exchange went through client authentication (the made-up code is then refused)
    expect(presented).toEqual(['placeholder', THE_SECRET]);
    expect(secretReads()).toBe(2);
    expect(reply.headers?.Location).toMatch(/#error=oauth_failed$/);
  });

  it('retries only once when the secret read again is refused too', async () => {
    // Prepare: a secret that is wrong however often it is read, and an expired cache
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 1000 * SECRET_CACHE_MS);
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'wrong' });

    // Act
    const reply = await callbackFromTheProvider();

    // Assess
    expect(presented).toEqual(['wrong', 'wrong']);
    expect(reply.headers?.Location).toMatch(/#error=oauth_failed$/);
  });

  it('keeps the secret for a bounded time, then reads it again without being refused first', async () => {
    // Prepare: a good secret read now (past the previous test's value)
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now() + 2000 * SECRET_CACHE_MS;
    vi.setSystemTime(start);
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: THE_SECRET });
    await callbackFromTheProvider();
    const readsAfterFirst = secretReads();

    // Act: within the time, then after it
    vi.setSystemTime(start + SECRET_CACHE_MS - 1000);
    await callbackFromTheProvider();
    const readsWithin = secretReads();
    vi.setSystemTime(start + SECRET_CACHE_MS + 1000);
    await callbackFromTheProvider();

    // Assess
    expect(readsAfterFirst).toBe(1);
    expect(readsWithin).toBe(1);
    expect(secretReads()).toBe(2);
    expect(presented).toEqual([THE_SECRET, THE_SECRET, THE_SECRET]);
  });
});

describe('the ID token the exchange brings back', () => {
  /** What the callback did in the table beyond consuming the flow: the linking rules' reads and writes. */
  const tableCallsAfterTheFlow = () => ddbMock.calls().filter((call) => !(call.args[0] instanceof DeleteCommand)).length;

  it('is refused with oauth_failed when it was issued to another client (wrong audience), before any account is looked up', async () => {
    // Prepare: a token signed by the provider's key, for the flow's nonce, but for another relying party
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: THE_SECRET });


    // Act
    const reply = await callbackFromTheProvider('audience:another-relying-party');

    // Assess
    expect(reply.headers?.Location).toMatch(/\/signin#error=oauth_failed$/);
    expect(tableCallsAfterTheFlow()).toBe(0);
    const warning = logged.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { message?: string; error?: string })
      .find((record) => record.message === 'identity provider sign-in failed');
    expect(warning?.error).toMatch(/"aud" \(audience\)/);
  });

  it('is accepted when issued to our client, and the linking rules look the identity up (the control for the test above)', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: THE_SECRET });

    // Act
    await callbackFromTheProvider('audience:c');

    // Assess
    expect(tableCallsAfterTheFlow()).toBeGreaterThan(0);
  });
});
