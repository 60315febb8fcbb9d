import { describe, expect, it } from 'vitest';
import { FAILURES_BEFORE_LOCK } from '../../shared/auth/throttle';
import {
  expectProblem,
  me,
  newVerifiedUser,
  PASSWORD,
  postJson,
  refreshCookieOf,
  register,
  sleep,
  uniqueEmail,
} from './support';

/** POST /auth/login: docs/api.md, and the throttling and enumeration rules of docs/security.md. */
describe('POST /auth/login', () => {
  it('signs in by email with a new session: user, access token that works on /me, refresh cookie', async () => {
    // Prepare
    const user = await newVerifiedUser('login');

    // Act
    const response = await postJson('/auth/login', { email: user.email, password: PASSWORD });

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: Record<string, unknown>; accessToken: string; tokenType: string; expiresIn: number };
    expect(body).toMatchObject({ user: { id: user.userId, email: user.email }, tokenType: 'Bearer', expiresIn: expect.any(Number) });
    expect(Object.keys(body.user).sort()).toEqual(['createdAt', 'email', 'id', 'mfaEnabled']);
    expect(refreshCookieOf(response)?.value).toEqual(expect.any(String));
    expect(refreshCookieOf(response)?.value).not.toBe(user.refreshToken);
    expect((await me(body.accessToken)).status).toBe(200);
  });

  it('signs in by username, whatever its case', async () => {
    // Prepare
    const username = `Name_${Date.now()}`;
    const user = await newVerifiedUser('by-name', username);

    // Act
    const response = await postJson('/auth/login', { username: username.toUpperCase(), password: PASSWORD });

    // Assess
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { id: string; username: string } }).user).toMatchObject({ id: user.userId, username });
  });

  it('answers a wrong password and an unknown account with the same 401 invalid_credentials', async () => {
    // Prepare
    const user = await newVerifiedUser('wrong');

    // Act
    const wrongPassword = await postJson('/auth/login', { email: user.email, password: 'not the password' });
    const unknownAccount = await postJson('/auth/login', { email: uniqueEmail('nobody'), password: PASSWORD });

    // Assess
    const a = await expectProblem(wrongPassword, 401, 'invalid_credentials');
    const b = await expectProblem(unknownAccount, 401, 'invalid_credentials');
    expect(b).toEqual(a);
  });

  it('locks the account after repeated failures: 429 too_many_attempts with Retry-After, even for the right password', async () => {
    // Prepare
    const user = await newVerifiedUser('lockout');
    await failUntilLockedForTwoSeconds(user.email);

    // Act
    const wrongPassword = await postJson('/auth/login', { email: user.email, password: 'still wrong' });
    const rightPassword = await postJson('/auth/login', { email: user.email, password: PASSWORD });

    // Assess
    await expectProblem(wrongPassword, 429, 'too_many_attempts');
    expect(Number(wrongPassword.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectProblem(rightPassword, 429, 'too_many_attempts');
  });

  it('locks unknown accounts the same way, so a lock tells nothing about existence', async () => {
    // Prepare
    const email = uniqueEmail('ghost-lock');
    await failUntilLockedForTwoSeconds(email);

    // Act
    const attempt = await postJson('/auth/login', { email, password: PASSWORD });

    // Assess
    await expectProblem(attempt, 429, 'too_many_attempts');
  });
});

/**
 * Failures 1..5 end in a 1 s lock (2^(n-5) s); after waiting it out, failure 6 sets a 2 s lock,
 * long enough for the next requests to land inside it on a slow machine.
 */
async function failUntilLockedForTwoSeconds(email: string): Promise<void> {
  for (let i = 0; i < FAILURES_BEFORE_LOCK; i++) {
    await expectProblem(await postJson('/auth/login', { email, password: `wrong ${i}` }), 401, 'invalid_credentials');
  }
  await sleep(1_100);
  await expectProblem(await postJson('/auth/login', { email, password: 'wrong again' }), 401, 'invalid_credentials');
}
