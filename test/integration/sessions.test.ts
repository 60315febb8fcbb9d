import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  allowedOrigin,
  api,
  bearer,
  claimsOf,
  expectProblem,
  foreignOrigin,
  login,
  me,
  newVerifiedUser,
  postJson,
  refresh,
  refreshCookieOf,
  sleep,
  stack,
  tableClient,
  withCookie,
} from './support';

/** Refresh rotation, the grace window, reuse detection, logout, /me and the JWKS: docs/api.md and docs/security.md. */
async function refreshedToken(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: expect.any(Number) });
  return refreshCookieOf(response)!.value;
}

function logout(accessToken: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return api('/auth/logout', {
    method: 'POST',
    headers: { ...bearer(accessToken), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('POST /auth/refresh', () => {
  it('rotates the refresh token: a new access token that works and a different refresh cookie', async () => {
    // Prepare
    const user = await newVerifiedUser('rotate');

    // Act
    const response = await refresh(user.refreshToken);

    // Assess
    const cookie = refreshCookieOf(response.clone())!;
    const successor = await refreshedToken(response);
    expect(successor).not.toBe(user.refreshToken);
    expect(cookie.attributes.get('path')).toBe('/auth');
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.has('secure')).toBe(true);
    expect((await refresh(successor)).status).toBe(200);
  });

  it('answers 401 invalid_refresh_token without a cookie and for a forged one', async () => {
    // Prepare
    const user = await newVerifiedUser('forged');
    const forged = user.refreshToken.slice(0, -4) + (user.refreshToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');

    // Act
    const missing = await refresh(undefined);
    const garbage = await refresh('not-a-token');
    const tampered = await refresh(forged);

    // Assess
    await expectProblem(missing, 401, 'invalid_refresh_token');
    await expectProblem(garbage, 401, 'invalid_refresh_token');
    await expectProblem(tampered, 401, 'invalid_refresh_token');
  });

  it('gives 10 simultaneous refreshes with one token the same successor, and revokes nothing', async () => {
    // Prepare
    const user = await newVerifiedUser('storm');

    // Act
    const replies = await Promise.all(Array.from({ length: 10 }, () => refresh(user.refreshToken)));

    // Assess
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    const successors = new Set(replies.map((r) => refreshCookieOf(r)?.value));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    expect(successor).not.toBe(user.refreshToken);
    expect((await refresh(successor)).status).toBe(200);
  });

  it('treats the replaced token presented again after the grace window as theft: 401 refresh_token_reused, session revoked', async () => {
    // Prepare
    const user = await newVerifiedUser('late');
    const successor = await refreshedToken(await refresh(user.refreshToken));
    await sleep((stack.refreshGraceSeconds + 1) * 1000);

    // Act
    const replay = await refresh(user.refreshToken);

    // Assess
    await expectProblem(replay, 401, 'refresh_token_reused');
    await expectProblem(await refresh(successor), 401, 'invalid_refresh_token');
    await expectProblem(await me(user.accessToken), 401, 'unauthorized');
  });

  it('treats an older token as theft at once, and every token of the session stops working', async () => {
    // Prepare
    const user = await newVerifiedUser('reuse');
    const second = await refreshedToken(await refresh(user.refreshToken));
    const third = await refreshedToken(await refresh(second));

    // Act
    const replay = await refresh(user.refreshToken);

    // Assess
    await expectProblem(replay, 401, 'refresh_token_reused');
    await expectProblem(await refresh(third), 401, 'invalid_refresh_token');
    await expectProblem(await me(user.accessToken), 401, 'unauthorized');
  });

  it('leaves other sessions of the user alone when one session is revoked for reuse', async () => {
    // Prepare
    const user = await newVerifiedUser('others');
    const other = await login(user.email);
    const second = await refreshedToken(await refresh(user.refreshToken));
    await refresh(second);

    // Act
    await refresh(user.refreshToken);

    // Assess
    expect((await me(other.accessToken)).status).toBe(200);
    expect((await refresh(other.refreshToken)).status).toBe(200);
  });

  it.each([
    ['past its absolute lifetime', { absoluteExpiresAt: Date.now() - 1_000 }],
    ['idle for longer than the idle timeout', { lastUsedAt: Date.now() - 2 * 86_400_000 }],
  ])('answers 401 session_expired for a session %s', async (_, change) => {
    // Prepare: move the session's clock back in the table (waiting a day is not an option).
    const user = await newVerifiedUser('expired');
    const sessionId = claimsOf(user.accessToken).sid as string;
    const [name, value] = Object.entries(change)[0]!;
    await tableClient().send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `SESSION#${sessionId}`, sk: 'SESSION' },
        UpdateExpression: 'SET #field = :value',
        ExpressionAttributeNames: { '#field': name },
        ExpressionAttributeValues: { ':value': value },
      }),
    );

    // Act
    const response = await refresh(user.refreshToken);

    // Assess
    await expectProblem(response, 401, 'session_expired');
  });

  it('refuses a request from a foreign Origin with 403 origin_not_allowed and accepts the allowed one with CORS headers', async () => {
    // Prepare
    const user = await newVerifiedUser('csrf');

    // Act
    const foreign = await refresh(user.refreshToken, { Origin: foreignOrigin });
    const allowed = await refresh(user.refreshToken, { Origin: allowedOrigin });

    // Assess
    await expectProblem(foreign, 403, 'origin_not_allowed');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
  });
});

describe('POST /auth/logout', () => {
  it('answers 204, clears the refresh cookie and ends this session in the authorizer and for refresh', async () => {
    // Prepare
    const user = await newVerifiedUser('logout');
    const other = await login(user.email);

    // Act
    const response = await logout(user.accessToken, undefined, withCookie(user.refreshToken));

    // Assess
    expect(response.status).toBe(204);
    const cleared = refreshCookieOf(response)!;
    expect(cleared.value).toBe('');
    expect(cleared.attributes.get('max-age')).toBe('0');
    expect(cleared.attributes.get('path')).toBe('/auth');
    await expectProblem(await me(user.accessToken), 401, 'unauthorized');
    await expectProblem(await refresh(user.refreshToken), 401, 'invalid_refresh_token');
    expect((await me(other.accessToken)).status).toBe(200);
  });

  it('with scope "all" ends every session of the user', async () => {
    // Prepare
    const user = await newVerifiedUser('logout-all');
    const phone = await login(user.email);
    const laptop = await login(user.email);

    // Act
    const response = await logout(user.accessToken, { scope: 'all' });

    // Assess
    expect(response.status).toBe(204);
    for (const session of [user, phone, laptop]) {
      await expectProblem(await me(session.accessToken), 401, 'unauthorized');
      await expectProblem(await refresh(session.refreshToken), 401, 'invalid_refresh_token');
    }
  });

  it('answers 401 without an access token', async () => {
    // Act
    const response = await api('/auth/logout', { method: 'POST' });

    // Assess
    await expectProblem(response, 401, 'unauthorized');
  });

  it('refuses a foreign Origin with 403 origin_not_allowed and keeps the session', async () => {
    // Prepare
    const user = await newVerifiedUser('logout-csrf');

    // Act
    const response = await logout(user.accessToken, undefined, { Origin: foreignOrigin });

    // Assess
    await expectProblem(response, 403, 'origin_not_allowed');
    expect((await me(user.accessToken)).status).toBe(200);
  });
});

describe('GET /me', () => {
  it('answers 200 with the user and nothing secret', async () => {
    // Prepare
    const user = await newVerifiedUser('me');

    // Act
    const response = await me(user.accessToken);

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: Record<string, unknown> };
    expect(body).toEqual({ user: { id: user.userId, email: user.email, createdAt: expect.any(String), mfaEnabled: false } });
  });

  it('answers 401 problem+json with CORS headers for an allowed origin when the token is missing or malformed', async () => {
    // Act
    const missing = await api('/me', { headers: { Origin: allowedOrigin } });
    const malformed = await api('/me', { headers: { Origin: allowedOrigin, Authorization: 'Bearer not.a.jwt' } });
    const wrongScheme = await api('/me', { headers: { Origin: allowedOrigin, Authorization: 'Basic dXNlcjpwYXNz' } });

    // Assess
    for (const response of [missing, malformed, wrongScheme]) {
      await expectProblem(response, 401, 'unauthorized');
      expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    }
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes the signing key as a public EC P-256 JWK under its kid, without private parts', async () => {
    // Prepare
    const { kid } = JSON.parse(stack.signingKey) as { kid: string };

    // Act
    const response = await api('/.well-known/jwks.json');

    // Assess
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys).toContainEqual(expect.objectContaining({ kid, kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) }));
    expect(keys.every((key) => !('d' in key))).toBe(true);
  });
});
