import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import jwt from 'jsonwebtoken';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { resetConfig } from '../../shared/config';
import { resetKeyCache } from '../../shared/keys';
import { handler } from '../../functions/authorizer/handler';
import { signAccessToken, toLowS } from '../../shared/tokens/access-token';
import { awsError, ddbMock, givenSession, secretsMock, sessionKey } from '../support/aws';
import { authorizerEvent, TEST_METHOD_ARN_PREFIX } from '../support/events';
import { publicKeyPem, signingKey, testEnvironment } from '../support/keys';

/**
 * The authorizer remembers a session's liveness for a few seconds (SESSION_CHECK_CACHE_SECONDS)
 * and the handler module lives across tests: every test uses a session id of its own.
 */
const newSessionId = () => randomBytes(16).toString('base64url');

const authorize = (authorization?: string, route: { method?: string; path?: string } = {}) =>
  handler(authorizerEvent({ authorization, ...route }));

/** A live session in the table, and the claims of an access token for it. */
function liveSession(userId = 'user-alice') {
  const sessionId = newSessionId();
  givenSession({ id: sessionId, userId });
  return { sub: userId, sid: sessionId };
}

function accessClaims(session: { sub: string; sid: string }, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { ...session, jti: randomUUID(), token_use: 'access', iss: testEnvironment.JWT_ISSUER, aud: 'serverless-auth-api', iat: now, exp: now + 900, ...overrides };
}

/** Signs claims as given (ES256 with the service's key unless told otherwise). */
function sign(claims: Record<string, unknown>, options: { key?: jwt.Secret; header?: Record<string, unknown> } = {}): string {
  const token = jwt.sign(claims, options.key ?? signingKey.privateKey, {
    algorithm: 'ES256',
    header: { alg: 'ES256', kid: signingKey.kid, typ: 'at+jwt', ...options.header } as jwt.JwtHeader,
  });
  // As the service issues them: the low-s spelling of the signature.
  const [header, payload, signature] = token.split('.');
  return `${header}.${payload}.${toLowS(signature!)}`;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Whether an IAM Resource (with * wildcards, as API Gateway evaluates it) covers a method ARN. */
function resourceCovers(resource: string, methodArn: string): boolean {
  const pattern = resource.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(methodArn);
}

describe('Lambda authorizer', () => {
  it('allows a valid access token of a live session for the whole stage, passing user and session ids on', async () => {
    // Prepare
    const sessionId = newSessionId();
    givenSession({ id: sessionId, userId: 'user-alice' });
    const { accessToken } = await signAccessToken('user-alice', sessionId);

    // Act
    const result = await authorize(`Bearer ${accessToken}`);

    // Assess
    expect(result).toEqual({
      principalId: 'user-alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${TEST_METHOD_ARN_PREFIX}/*/*` }],
      },
      context: { userId: 'user-alice', sessionId, roles: '' },
    });
  });

  it('passes the roles the token carries on in the context, space-separated', async () => {
    const sessionId = newSessionId();
    givenSession({ id: sessionId, userId: 'user-alice' });
    const { accessToken } = await signAccessToken('user-alice', sessionId, ['pwd'], ['admin', 'billing:read']);

    const result = await authorize(`Bearer ${accessToken}`);

    expect(result.context).toEqual({ userId: 'user-alice', sessionId, roles: 'admin billing:read' });
  });

  it('refuses a token whose roles claim is not a list of role names', async () => {
    const token = sign(accessClaims(liveSession(), { roles: ['Admin Root'] }));

    await expect(authorize(`Bearer ${token}`)).rejects.toThrow(/^Unauthorized$/);
  });

  it('returns a policy that, cached by API Gateway, also allows the other protected routes of the stage but no other stage', async () => {
    const sessionId = newSessionId();
    givenSession({ id: sessionId, userId: 'user-alice' });
    const { accessToken } = await signAccessToken('user-alice', sessionId);

    const result = await authorize(`Bearer ${accessToken}`, { method: 'GET', path: '/me' });

    const resource = (result.policyDocument.Statement[0] as { Resource: string }).Resource;
    expect(resourceCovers(resource, `${TEST_METHOD_ARN_PREFIX}/POST/auth/logout`)).toBe(true);
    expect(resourceCovers(resource, `${TEST_METHOD_ARN_PREFIX}/GET/me`)).toBe(true);
    expect(resourceCovers(resource, 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/me')).toBe(false);
    expect(resourceCovers(resource, 'arn:aws:execute-api:us-east-1:123456789012:otherapi99/prod/GET/me')).toBe(false);
  });

  it('accepts a token that expired less than the 30 s clock skew ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = sign(accessClaims(liveSession(), { iat: now - 900, exp: now - 20 }));

    const result = await authorize(`Bearer ${token}`);

    expect(result.policyDocument.Statement[0]!.Effect).toBe('Allow');
  });

  describe('answers Unauthorized (API Gateway: 401) for a request without a usable bearer token', () => {
    it.each([
      ['no Authorization header', () => undefined],
      ['another scheme', () => 'Basic dXNlcjpwYXNzd29yZA=='],
      ['a token without the Bearer scheme', () => sign(accessClaims(liveSession()))],
      ['a bearer value that is not a JWT', () => 'Bearer not-a-token'],
      ['a bearer value of JWT shape but garbage', () => 'Bearer abc.def.ghi'],
      ['an empty bearer value', () => 'Bearer '],
    ])('%s', async (_case, authorization) => {
      await expect(authorize(authorization())).rejects.toThrow(/^Unauthorized$/);
    });
  });

  describe('refuses forged and tampered tokens, even for a live session', () => {
    it('refuses an unsigned token (alg none)', async () => {
      const token = `${base64url({ alg: 'none', typ: 'JWT', kid: signingKey.kid })}.${base64url(accessClaims(liveSession()))}.`;

      await expect(authorize(`Bearer ${token}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses an HS256 token signed with the public key PEM as HMAC secret (algorithm confusion)', async () => {
      const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT', kid: signingKey.kid })}.${base64url(accessClaims(liveSession()))}`;
      const signature = createHmac('sha256', publicKeyPem).update(signingInput).digest('base64url');

      await expect(authorize(`Bearer ${signingInput}.${signature}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses a token whose payload was changed to another user (signature kept)', async () => {
      const victim = liveSession('user-victim');
      const [header, , signature] = sign(accessClaims({ sub: 'user-mallory', sid: victim.sid })).split('.');
      const tampered = `${header}.${base64url(accessClaims(victim))}.${signature}`;

      await expect(authorize(`Bearer ${tampered}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses a token with an all-zero signature', async () => {
      const [header, payload] = sign(accessClaims(liveSession())).split('.');
      const zeros = Buffer.alloc(64).toString('base64url');

      await expect(authorize(`Bearer ${header}.${payload}.${zeros}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses a token signed with an attacker key embedded in a jwk header', async () => {
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const token = sign(accessClaims(liveSession()), {
        key: attacker.privateKey,
        header: { jwk: attacker.publicKey.export({ format: 'jwk' }) },
      });

      await expect(authorize(`Bearer ${token}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it.each([
      ['jku', 'https://attacker.example/jwks.json'],
      ['x5u', 'https://attacker.example/cert.pem'],
    ])('refuses a token signed with an attacker key published at a %s URL', async (parameter, url) => {
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const token = sign(accessClaims(liveSession()), { key: attacker.privateKey, header: { [parameter]: url } });

      await expect(authorize(`Bearer ${token}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses a kid that tries path traversal', async () => {
      const token = sign(accessClaims(liveSession()), { header: { kid: '../../etc/passwd' } });

      await expect(authorize(`Bearer ${token}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses a kid that is not one of the configured keys', async () => {
      const token = sign(accessClaims(liveSession()), { header: { kid: 'unknown-key-id' } });

      await expect(authorize(`Bearer ${token}`)).rejects.toThrow(/^Unauthorized$/);
    });
  });

  describe('refuses a genuinely signed token whose claims do not hold', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      ['expired beyond the 30 s clock skew', () => ({ iat: now() - 960, exp: now() - 45 })],
      ['from another issuer', () => ({ iss: 'someone-else' })],
      ['for another audience', () => ({ aud: 'another-api' })],
      ['meant as a refresh token', () => ({ token_use: 'refresh' })],
      ['meant as an id token', () => ({ token_use: 'id' })],
      ['without token_use', () => ({ token_use: undefined })],
      ['with an exp ten years ahead', () => ({ exp: now() + 10 * 365 * 86_400 })],
      ['issued in the future beyond the skew', () => ({ iat: now() + 300, exp: now() + 900 })],
    ])('%s', async (_case, overrides) => {
      const claims = accessClaims(liveSession(), overrides());
      if (claims.token_use === undefined) delete claims.token_use;

      await expect(authorize(`Bearer ${sign(claims)}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it.each([['JWT'], ['id_token+jwt']])('typed %s instead of at+jwt', async (typ) => {
      await expect(authorize(`Bearer ${sign(accessClaims(liveSession()), { header: { typ } })}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('the high-s twin of a token the service issued', async () => {
      const { sid } = liveSession();
      const { accessToken } = await signAccessToken('user-alice', sid);
      const [header, payload, signature] = accessToken.split('.');
      const bytes = Buffer.from(signature!, 'base64url');
      const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
      Buffer.from((order - BigInt(`0x${bytes.subarray(32).toString('hex')}`)).toString(16).padStart(64, '0'), 'hex').copy(bytes, 32);

      await expect(authorize(`Bearer ${header}.${payload}.${bytes.toString('base64url')}`)).rejects.toThrow(/^Unauthorized$/);
    });
  });

  describe('refuses a valid token whose session is no longer live', () => {
    it('refuses a token of a revoked session (logged out)', async () => {
      const sessionId = newSessionId();
      givenSession({ id: sessionId, userId: 'user-alice', revokedAt: Date.now() - 1_000 });
      const { accessToken } = await signAccessToken('user-alice', sessionId);

      await expect(authorize(`Bearer ${accessToken}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses a token of a session past its absolute lifetime', async () => {
      const sessionId = newSessionId();
      givenSession({ id: sessionId, userId: 'user-alice', absoluteExpiresAt: Date.now() - 1_000 });
      const { accessToken } = await signAccessToken('user-alice', sessionId);

      await expect(authorize(`Bearer ${accessToken}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it("refuses a token naming another user's session", async () => {
      const sessionId = newSessionId();
      givenSession({ id: sessionId, userId: 'user-bob' });
      const { accessToken } = await signAccessToken('user-alice', sessionId);

      await expect(authorize(`Bearer ${accessToken}`)).rejects.toThrow(/^Unauthorized$/);
    });

    it('refuses a token whose session does not exist', async () => {
      const { accessToken } = await signAccessToken('user-alice', newSessionId());

      await expect(authorize(`Bearer ${accessToken}`)).rejects.toThrow(/^Unauthorized$/);
    });
  });

  it('fails with an error, not Unauthorized, when DynamoDB is unavailable (API Gateway: 500, not a wrongful 401)', async () => {
    const sessionId = newSessionId();
    ddbMock.on(GetCommand, { Key: sessionKey(sessionId) }).rejects(awsError('ProvisionedThroughputExceededException'));
    const { accessToken } = await signAccessToken('user-alice', sessionId);

    const error = await authorize(`Bearer ${accessToken}`).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toBe('Unauthorized');
  });

  it('fails with an error, not Unauthorized, when the public keys cannot be loaded from Secrets Manager', async () => {
    const session = liveSession();
    const token = sign(accessClaims(session));
    vi.stubEnv('JWT_PUBLIC_KEYS', '');
    vi.stubEnv('JWT_PUBLIC_KEYS_SECRET_ID', 'public-keys');
    resetConfig();
    resetKeyCache();
    secretsMock.on(GetSecretValueCommand).rejects(awsError('ThrottlingException'));

    const error = await authorize(`Bearer ${token}`).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect((error as Error).name).toBe('ThrottlingException');
  });
});
