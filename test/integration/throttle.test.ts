import { describe, expect, it } from 'vitest';
import { MAX_DEVICES_PER_ACCOUNT } from '../../shared/auth/devices';
import { FAILURES_BEFORE_LOCK } from '../../shared/auth/throttle';
import { api, bearer, expectProblem, lockOut, newVerifiedUser, PASSWORD, postJson, setCookieOf } from './support';

/** The login throttle against the attacks it exists for (docs/security.md), on the local stack. */
const device = (token: string | undefined) => ({ Cookie: `device=${token}` });

describe('login throttle', () => {
  it('sets a device cookie on verify and on login: HttpOnly, Secure, a year, only for the login route', async () => {
    const user = await newVerifiedUser('device-set');

    const reply = await postJson('/auth/login', { email: user.email, password: PASSWORD });

    expect(user.deviceToken).toMatch(/^dv1\./);
    const cookie = setCookieOf(reply, 'device');
    expect(cookie?.value).toMatch(new RegExp(`^dv1\\.${user.userId}\\.`));
    expect(Object.fromEntries(cookie!.attributes)).toEqual({ 'max-age': '31536000', path: '/auth/login', httponly: '', secure: '', samesite: 'Strict' });
  });

  it('still lets the owner in with the device cookie of an earlier login while cookie-less clients get 429', async () => {
    // Prepare
    const user = await newVerifiedUser('device-owner');
    await lockOut({ email: user.email });

    // Act
    const withoutCookie = await postJson('/auth/login', { email: user.email, password: PASSWORD });
    const withCookie = await postJson('/auth/login', { email: user.email, password: PASSWORD }, device(user.deviceToken));

    // Assess
    await expectProblem(withoutCookie, 429, 'too_many_attempts');
    expect(Number(withoutCookie.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(withCookie.status).toBe(200);
  });

  it('stops trusting a device cookie after five wrong passwords on it, but not the owner\'s other devices', async () => {
    // Prepare
    const user = await newVerifiedUser('device-spent');
    const otherDevice = setCookieOf(await postJson('/auth/login', { email: user.email, password: PASSWORD }), 'device')!.value;
    for (let i = 0; i < FAILURES_BEFORE_LOCK; i++) {
      await expectProblem(await postJson('/auth/login', { email: user.email, password: `guess ${i}` }, device(user.deviceToken)), 401, 'invalid_credentials');
    }
    await lockOut({ email: user.email });

    // Act
    const [spentDevice, trustedDevice] = await Promise.all([
      postJson('/auth/login', { email: user.email, password: PASSWORD }, device(user.deviceToken)),
      postJson('/auth/login', { email: user.email, password: PASSWORD }, device(otherDevice)),
    ]);

    // Assess
    await expectProblem(spentDevice, 429, 'too_many_attempts');
    expect(trustedDevice.status).toBe(200);
  });

  it('keeps the newest 20 devices: the next new browser evicts the oldest, whose cookie is no longer trusted', async () => {
    // Prepare: verify made the first device; 19 logins from new browsers fill the account up to the cap.
    const user = await newVerifiedUser('device-cap');
    const cookies: string[] = [user.deviceToken!];
    for (let i = 1; i < MAX_DEVICES_PER_ACCOUNT; i++) cookies.push(setCookieOf(await postJson('/auth/login', { email: user.email, password: PASSWORD }), 'device')!.value);

    // Act: one more new browser.
    const newest = await postJson('/auth/login', { email: user.email, password: PASSWORD });
    const { accessToken } = (await newest.json()) as { accessToken: string };
    await lockOut({ email: user.email });
    const [oldest, secondOldest] = await Promise.all([cookies[0], cookies[1]].map((cookie) => postJson('/auth/login', { email: user.email, password: PASSWORD }, device(cookie))));

    // Assess
    await expectProblem(oldest!, 429, 'too_many_attempts');
    expect(secondOldest!.status).toBe(200);
    const listed = (await (await api('/auth/sessions', { headers: bearer(accessToken) })).json()) as { devices: Array<{ id: string }> };
    expect(listed.devices).toHaveLength(MAX_DEVICES_PER_ACCOUNT);
    expect(listed.devices.map((d) => d.id)).not.toContain(cookies[0]!.split('.')[2]);
  });

  it("ignores another account's device cookie and a tampered one", async () => {
    const victim = await newVerifiedUser('device-victim');
    const attacker = await newVerifiedUser('device-attacker');
    await lockOut({ email: victim.email });
    const tampered = `${victim.deviceToken!.slice(0, -1)}${victim.deviceToken!.endsWith('A') ? 'B' : 'A'}`;

    const withAttackersCookie = await postJson('/auth/login', { email: victim.email, password: PASSWORD }, device(attacker.deviceToken));
    const withTamperedCookie = await postJson('/auth/login', { email: victim.email, password: PASSWORD }, device(tampered));

    await expectProblem(withAttackersCookie, 429, 'too_many_attempts');
    await expectProblem(withTamperedCookie, 429, 'too_many_attempts');
  });

  it('keeps a locked username from locking its email, or telling which email it belongs to', async () => {
    // Prepare
    const username = `locked_${Date.now()}`;
    const user = await newVerifiedUser('by-name-lock', username);
    await lockOut({ username });

    // Act
    const byUsername = await postJson('/auth/login', { username, password: PASSWORD });
    const wrongByEmail = await postJson('/auth/login', { email: user.email, password: 'not the password' });
    const rightByEmail = await postJson('/auth/login', { email: user.email, password: PASSWORD });

    // Assess
    await expectProblem(byUsername, 429, 'too_many_attempts');
    await expectProblem(wrongByEmail, 401, 'invalid_credentials');
    expect(rightByEmail.status).toBe(200);
  });
});
