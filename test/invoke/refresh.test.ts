import { createHmac, randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/refresh/handler';
import { deriveRefreshToken } from '../../shared/tokens/refresh-token';
import { awsError, ddbMock, givenRotationRefused, givenRotationSucceeds, ROTATION_UPDATE, sessionKey } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { publicKeyPem } from '../support/keys';
import { cookieValue, expectProblem, json, setCookies } from '../support/replies';

const alice = 'user-alice';
const newSessionId = () => randomBytes(16).toString('base64url');

const refresh = (headers: Record<string, string> = {}) => handler(apiEvent({ path: '/auth/refresh', headers }), lambdaContext);
const withCookie = (token: string, headers: Record<string, string> = {}) => refresh({ Cookie: `refresh_token=${token}`, ...headers });

const revokeCalls = () => ddbMock.commandCalls(UpdateCommand, { UpdateExpression: 'SET revokedAt = :now' });
/** Every UpdateItem sent; a refused rotation wrote nothing, so `[ROTATION_UPDATE]` alone means no change. */
const updatesSent = () => ddbMock.commandCalls(UpdateCommand).map((call) => call.args[0].input.UpdateExpression);

describe('POST /auth/refresh', () => {
  it('rotates the refresh token: a new access token in the body, the next generation in the cookie', async () => {
    // Prepare
    const sessionId = newSessionId();
    givenRotationSucceeds({ id: sessionId, userId: alice, generation: 3 });
    const presented = await deriveRefreshToken(sessionId, 3);

    // Act
    const reply = await refresh({ Cookie: `theme=dark; refresh_token=${presented}` });

    // Assess
    expect(reply.statusCode).toBe(200);
    const body = json(reply);
    expect(body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
    const claims = jwt.verify(body.accessToken, publicKeyPem, { algorithms: ['ES256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: alice, sid: sessionId, token_use: 'access' });
    const successor = await deriveRefreshToken(sessionId, 4);
    expect(cookieValue(reply, 'refresh_token')).toBe(successor);
    expect(reply.body).not.toContain(successor);
    expect(reply.body).not.toContain(presented);
    expect(reply.body).not.toMatch(/rt1\./);
  });

  it("puts the session's copy of the user's roles in the new access token (a role change rewrites it)", async () => {
    const sessionId = newSessionId();
    givenRotationSucceeds({ id: sessionId, userId: alice, generation: 0, roles: ['admin', 'billing:read'] });

    const reply = await refresh({ Cookie: `refresh_token=${await deriveRefreshToken(sessionId, 0)}` });

    const claims = jwt.verify(json(reply).accessToken, publicKeyPem, { algorithms: ['ES256'] }) as jwt.JwtPayload;
    expect(claims.roles).toEqual(['admin', 'billing:read']);
  });

  it('advances the generation with one write conditional on the presented generation and a live, unexpired session, recording the device in it', async () => {
    const sessionId = newSessionId();
    givenRotationSucceeds({ id: sessionId, userId: alice, generation: 3 });

    const before = Date.now();
    await withCookie(await deriveRefreshToken(sessionId, 3));

    expect(ddbMock.calls()).toHaveLength(1);
    const [write] = ddbMock.commandCalls(UpdateCommand);
    expect(write!.args[0].input).toMatchObject({
      TableName: 'auth-test',
      Key: sessionKey(sessionId),
      UpdateExpression: ROTATION_UPDATE,
      ConditionExpression: 'generation = :from AND attribute_not_exists(revokedAt) AND absoluteExpiresAt > :now AND lastUsedAt > :idleSince',
      ExpressionAttributeValues: { ':from': 3, ':next': 4, ':now': expect.any(Number), ':idleSince': expect.any(Number), ':userAgent': 'vitest', ':ipAddress': '203.0.113.7' },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const values = write!.args[0].input.ExpressionAttributeValues!;
    expect(values[':now']).toBeGreaterThanOrEqual(before);
    expect(values[':now'] - values[':idleSince']).toBe(30 * 60_000);
  });

  it('sets the rotated cookie HttpOnly, Secure, on /auth, SameSite=Strict, for what is left of the session', async () => {
    const sessionId = newSessionId();
    givenRotationSucceeds({ id: sessionId, userId: alice, generation: 0, absoluteExpiresAt: Date.now() + 7_200_000 });

    const reply = await withCookie(await deriveRefreshToken(sessionId, 0));

    const cookies = setCookies(reply);
    expect(cookies).toHaveLength(1);
    const [value, ...attributes] = cookies[0]!.split('; ');
    expect(value).toBe(`refresh_token=${await deriveRefreshToken(sessionId, 1)}`);
    expect(attributes).toEqual([expect.stringMatching(/^Max-Age=\d+$/), 'Path=/auth', 'HttpOnly', 'Secure', 'SameSite=Strict']);
    // Two hours of the session are left (a second may tick between preparing and refreshing).
    expect(Number(attributes[0]!.slice('Max-Age='.length))).toBeGreaterThanOrEqual(7_199);
    expect(Number(attributes[0]!.slice('Max-Age='.length))).toBeLessThanOrEqual(7_200);
  });

  describe('refuses a missing or forged refresh token with 401 invalid_refresh_token', () => {
    const otherKey = randomBytes(32);
    const mintedWithOtherKey = (sessionId: string, generation: number) =>
      `rt1.${sessionId}.${generation}.${createHmac('sha256', otherKey).update(`refresh:${sessionId}:${generation}`).digest('base64url')}`;

    it.each([
      ['no cookie at all', async () => undefined],
      ['an empty cookie', async () => ''],
      ['a token minted with another key', async (sessionId: string) => mintedWithOtherKey(sessionId, 0)],
      ['a token with a changed HMAC', async (sessionId: string) => {
        const [prefix, id, generation, mac] = (await deriveRefreshToken(sessionId, 0)).split('.') as [string, string, string, string];
        return `${prefix}.${id}.${generation}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
      }],
      ['a token whose generation was edited (HMAC kept)', async (sessionId: string) => (await deriveRefreshToken(sessionId, 0)).replace('.0.', '.1.')],
      ['a token moved to another session (HMAC kept)', async (sessionId: string) => (await deriveRefreshToken(sessionId, 0)).replace(sessionId, newSessionId())],
      ['garbage', async () => 'not-a-refresh-token'],
    ])('%s', async (_case, token) => {
      const sessionId = newSessionId();
      givenRotationSucceeds({ id: sessionId, userId: alice, generation: 0 });
      const presented = await token(sessionId);

      const reply = presented === undefined ? await refresh() : await withCookie(presented);

      expectProblem(reply, 401, 'invalid_refresh_token');
      expect(setCookies(reply)).toEqual([]);
      expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    });
  });

  it('refuses a well-formed token of a session that does not exist with 401 invalid_refresh_token', async () => {
    const sessionId = newSessionId();
    givenRotationRefused(sessionId);

    const reply = await withCookie(await deriveRefreshToken(sessionId, 0));

    expect(reply.statusCode).toBe(401);
    expect(json(reply).code).toBe('invalid_refresh_token');
  });

  it('refuses the token of a revoked session with 401 invalid_refresh_token and writes nothing', async () => {
    const sessionId = newSessionId();
    givenRotationRefused(sessionId, { id: sessionId, userId: alice, generation: 2, revokedAt: Date.now() - 60_000 });

    const reply = await withCookie(await deriveRefreshToken(sessionId, 2));

    expect(reply.statusCode).toBe(401);
    expect(json(reply).code).toBe('invalid_refresh_token');
    expect(updatesSent()).toEqual([ROTATION_UPDATE]);
  });

  it.each([
    ['idle for longer than 30 minutes', { lastUsedAt: Date.now() - 31 * 60_000 }],
    ['past its absolute lifetime', { absoluteExpiresAt: Date.now() - 1_000 }],
  ])('answers 401 session_expired for a session %s', async (_case, times) => {
    const sessionId = newSessionId();
    givenRotationRefused(sessionId, { id: sessionId, userId: alice, generation: 1, ...times });

    const reply = await withCookie(await deriveRefreshToken(sessionId, 1));

    expect(reply.statusCode).toBe(401);
    expect(json(reply)).toMatchObject({ code: 'session_expired', title: 'The session has expired.' });
    expect(setCookies(reply)).toEqual([]);
    expect(updatesSent()).toEqual([ROTATION_UPDATE]);
  });

  describe('reuse detection', () => {
    it('answers the token replaced 2 s ago with the same successor the winner got, and revokes nothing', async () => {
      const sessionId = newSessionId();
      givenRotationRefused(sessionId, { id: sessionId, userId: alice, generation: 5, rotatedAt: Date.now() - 2_000 });

      const reply = await withCookie(await deriveRefreshToken(sessionId, 4));

      expect(reply.statusCode).toBe(200);
      expect(json(reply)).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      expect(cookieValue(reply, 'refresh_token')).toBe(await deriveRefreshToken(sessionId, 5));
      expect(updatesSent()).toEqual([ROTATION_UPDATE]);
    });

    it('treats the replaced token presented 11 s after rotation as theft: 401 refresh_token_reused and the session revoked', async () => {
      const sessionId = newSessionId();
      givenRotationRefused(sessionId, { id: sessionId, userId: alice, generation: 5, rotatedAt: Date.now() - 11_000 });

      const reply = await withCookie(await deriveRefreshToken(sessionId, 4));

      expectProblem(reply, 401, 'refresh_token_reused');
      expect(setCookies(reply)).toEqual([]);
      expect(revokeCalls()).toHaveLength(1);
      expect(revokeCalls()[0]!.args[0].input).toMatchObject({ Key: sessionKey(sessionId), ExpressionAttributeValues: { ':now': expect.any(Number) } });
      expect(updatesSent()).toEqual([ROTATION_UPDATE, 'SET revokedAt = :now']);
    });

    it('treats an older generation as theft, even right after a rotation: 401 refresh_token_reused and the session revoked', async () => {
      const sessionId = newSessionId();
      givenRotationRefused(sessionId, { id: sessionId, userId: alice, generation: 5, rotatedAt: Date.now() - 1_000 });

      const reply = await withCookie(await deriveRefreshToken(sessionId, 3));

      expect(reply.statusCode).toBe(401);
      expect(json(reply).code).toBe('refresh_token_reused');
      expect(revokeCalls().map((call) => call.args[0].input.Key)).toEqual([sessionKey(sessionId)]);
    });
  });

  it('hands the loser of a simultaneous refresh the successor the winner just wrote', async () => {
    const sessionId = newSessionId();
    // A simultaneous refresh won: the refused write carries the item as the winner left it.
    givenRotationRefused(sessionId, { id: sessionId, userId: alice, generation: 4, rotatedAt: Date.now() });

    const reply = await withCookie(await deriveRefreshToken(sessionId, 3));

    expect(reply.statusCode).toBe(200);
    expect(cookieValue(reply, 'refresh_token')).toBe(await deriveRefreshToken(sessionId, 4));
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
    expect(updatesSent()).toEqual([ROTATION_UPDATE]);
    expect(revokeCalls()).toHaveLength(0);
  });

  describe('Origin guard and CORS', () => {
    it('refuses a request from an origin not on the allowlist with 403 origin_not_allowed, touching nothing', async () => {
      const sessionId = newSessionId();
      givenRotationSucceeds({ id: sessionId, userId: alice });

      const reply = await withCookie(await deriveRefreshToken(sessionId, 0), { Origin: 'https://evil.example' });

      expect(reply.statusCode).toBe(403);
      expect(json(reply).code).toBe('origin_not_allowed');
      expect(reply.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
      expect(setCookies(reply)).toEqual([]);
      expect(ddbMock.calls()).toHaveLength(0);
    });

    it('answers an allowed origin with credentialed CORS headers echoing it', async () => {
      const sessionId = newSessionId();
      givenRotationSucceeds({ id: sessionId, userId: alice });

      const reply = await withCookie(await deriveRefreshToken(sessionId, 0), { Origin: 'https://app.example.com' });

      expect(reply.statusCode).toBe(200);
      expect(reply.headers).toMatchObject({
        'Access-Control-Allow-Origin': 'https://app.example.com',
        'Access-Control-Allow-Credentials': 'true',
      });
    });

    it('serves a request without an Origin header (same-origin or non-browser client)', async () => {
      const sessionId = newSessionId();
      givenRotationSucceeds({ id: sessionId, userId: alice });

      const reply = await withCookie(await deriveRefreshToken(sessionId, 0));

      expect(reply.statusCode).toBe(200);
      expect(reply.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    });
  });

  it('answers 503 with Retry-After when DynamoDB throttles', async () => {
    const sessionId = newSessionId();
    ddbMock.on(UpdateCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    const reply = await withCookie(await deriveRefreshToken(sessionId, 0));

    expectProblem(reply, 503, 'service_unavailable');
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(setCookies(reply)).toEqual([]);
  });

  it('answers 503 with Retry-After when the rotation write is throttled, keeping the old cookie valid', async () => {
    const sessionId = newSessionId();
    ddbMock.on(UpdateCommand).rejects(awsError('ThrottlingException'));

    const reply = await withCookie(await deriveRefreshToken(sessionId, 2));

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(setCookies(reply)).toEqual([]);
  });
});
