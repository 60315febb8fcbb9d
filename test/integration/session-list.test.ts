import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../shared/auth/sessions';
import {
  api,
  bearer,
  claimsOf,
  expectProblem,
  me,
  newVerifiedUser,
  PASSWORD,
  postJson,
  refresh,
  refreshCookieOf,
  setCookieOf,
  type SignedIn,
} from './support';

/** GET /auth/sessions and DELETE /auth/sessions/{id} on the local stack: docs/api.md and docs/security.md. */
type ListedSession = SessionView;

const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile/15E148 Safari/604.1';

/** A login from a device that names itself and claims, in X-Forwarded-For, to be somewhere else. */
async function loginFrom(email: string, userAgent: string): Promise<SignedIn & { sessionId: string }> {
  const response = await postJson('/auth/login', { email, password: PASSWORD }, { 'User-Agent': userAgent, 'X-Forwarded-For': '6.6.6.6' });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { user: { id: string }; accessToken: string };
  return {
    email,
    userId: body.user.id,
    accessToken: body.accessToken,
    refreshToken: refreshCookieOf(response)!.value,
    deviceToken: setCookieOf(response, 'device')?.value,
    sessionId: claimsOf(body.accessToken).sid as string,
  };
}

async function listSessions(accessToken: string): Promise<ListedSession[]> {
  const response = await api('/auth/sessions', { headers: bearer(accessToken) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { sessions: ListedSession[] }).sessions;
}

const revokeSession = (accessToken: string, id: string) =>
  api(`/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE', headers: bearer(accessToken) });

/** A verified user with two more sessions: the laptop, then the phone. The sign-up session is revoked so only these two are listed. */
async function userWithTwoDevices(label: string) {
  const first = await newVerifiedUser(label);
  const laptop = await loginFrom(first.email, LAPTOP);
  const phone = await loginFrom(first.email, PHONE);
  expect((await revokeSession(laptop.accessToken, claimsOf(first.accessToken).sid as string)).status).toBe(204);
  return { laptop, phone };
}

describe('GET /auth/sessions', () => {
  it('lists two logins as two sessions, newest first, the current one marked, with the device and the source IP', async () => {
    // Prepare
    const startedAt = Date.now();
    const { laptop, phone } = await userWithTwoDevices('list');

    // Act
    const fromLaptop = await listSessions(laptop.accessToken);
    const fromPhone = await listSessions(phone.accessToken);

    // Assess
    expect(fromLaptop).toEqual([
      { id: phone.sessionId, current: false, createdAt: expect.any(String), lastUsedAt: expect.any(String), userAgent: PHONE, ipAddress: '127.0.0.1' },
      { id: laptop.sessionId, current: true, createdAt: expect.any(String), lastUsedAt: expect.any(String), userAgent: LAPTOP, ipAddress: '127.0.0.1' },
    ]);
    expect(fromPhone.map((s) => [s.id, s.current])).toEqual([
      [phone.sessionId, true],
      [laptop.sessionId, false],
    ]);
    for (const session of fromLaptop) {
      expect(new Date(session.createdAt).toISOString()).toBe(session.createdAt);
      expect(Date.parse(session.createdAt)).toBeGreaterThanOrEqual(startedAt - 1000);
    }
    expect(Date.parse(fromLaptop[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(fromLaptop[1]!.createdAt));
  });

  it('a refresh moves lastUsedAt forward and records the refreshing device', async () => {
    const { laptop } = await userWithTwoDevices('refresh-device');
    const [, before] = await listSessions(laptop.accessToken);

    const deadline = Date.now() + 5000;
    let after: ListedSession | undefined;
    // Times have millisecond resolution: refresh until the clock has visibly moved.
    do {
      const response = await refresh(laptop.refreshToken, { 'User-Agent': 'Firefox/134 (updated)' });
      expect(response.status).toBe(200);
      laptop.refreshToken = refreshCookieOf(response)!.value;
      after = (await listSessions(laptop.accessToken)).find((s) => s.id === laptop.sessionId);
    } while (after!.lastUsedAt === before!.lastUsedAt && Date.now() < deadline);

    expect(Date.parse(after!.lastUsedAt)).toBeGreaterThan(Date.parse(before!.lastUsedAt));
    expect(after).toMatchObject({ createdAt: before!.createdAt, userAgent: 'Firefox/134 (updated)', ipAddress: '127.0.0.1' });
  });

  it('answers 401 without an access token', async () => {
    await expectProblem(await api('/auth/sessions'), 401, 'unauthorized');
  });
});

describe('DELETE /auth/sessions/{id}', () => {
  it("revoking the other session ends it: its refresh answers 401 and its access token 401 at /me; this one lives on", async () => {
    // Prepare
    const { laptop, phone } = await userWithTwoDevices('revoke-other');

    // Act
    const response = await revokeSession(laptop.accessToken, phone.sessionId);

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]);
    await expectProblem(await refresh(phone.refreshToken), 401, 'invalid_refresh_token');
    await expectProblem(await me(phone.accessToken), 401, 'unauthorized');
    expect((await me(laptop.accessToken)).status).toBe(200);
    expect((await listSessions(laptop.accessToken)).map((s) => s.id)).toEqual([laptop.sessionId]);
  });

  it("answers 404 for another user's session exactly as for an unknown id, and that session stays alive", async () => {
    // Prepare
    const alice = await userWithTwoDevices('revoke-victim');
    const mallory = await newVerifiedUser('revoke-attacker');

    // Act
    const foreign = await revokeSession(mallory.accessToken, alice.phone.sessionId);
    const unknown = await revokeSession(mallory.accessToken, 'AAAAAAAAAAAAAAAAAAAAAA');

    // Assess
    const foreignBody = await expectProblem(foreign, 404, 'not_found');
    const unknownBody = await expectProblem(unknown, 404, 'not_found');
    expect(foreignBody).toEqual(unknownBody);
    expect(foreign.headers.getSetCookie()).toEqual(unknown.headers.getSetCookie());
    expect((await me(alice.phone.accessToken)).status).toBe(200);
    expect((await refresh(alice.phone.refreshToken)).status).toBe(200);
  });

  it('answers 404 for a session already revoked', async () => {
    const { laptop, phone } = await userWithTwoDevices('revoke-twice');
    expect((await revokeSession(laptop.accessToken, phone.sessionId)).status).toBe(204);

    await expectProblem(await revokeSession(laptop.accessToken, phone.sessionId), 404, 'not_found');
  });

  it('revoking the current session clears the refresh cookie and ends the session', async () => {
    const { laptop, phone } = await userWithTwoDevices('revoke-self');

    const response = await revokeSession(laptop.accessToken, laptop.sessionId);

    expect(response.status).toBe(204);
    const cookie = refreshCookieOf(response)!;
    expect(cookie.value).toBe('');
    expect(cookie.attributes.get('max-age')).toBe('0');
    expect(cookie.attributes.get('path')).toBe('/auth');
    await expectProblem(await me(laptop.accessToken), 401, 'unauthorized');
    await expectProblem(await refresh(laptop.refreshToken), 401, 'invalid_refresh_token');
    expect((await me(phone.accessToken)).status).toBe(200);
  });

  it('answers 401 without an access token, before any function runs', async () => {
    await expectProblem(await api('/auth/sessions/AAAAAAAAAAAAAAAAAAAAAA', { method: 'DELETE' }), 401, 'unauthorized');
  });
});
