import { describe, expect, it } from 'vitest';
import { api, bearer, expectProblem, login, me, newVerifiedUser, refresh, refreshCookieOf, withCookie } from '../integration/support';

/**
 * One whole session on the deployed artifact: the local gateway runs each function's esbuild
 * bundle, built with the stack's own settings (infra/bundling.ts), in this Node (24, the Lambda
 * runtime's major). What the bundler could break (ESM/CJS interop, the require shim, tree-shaken
 * AWS clients) breaks here.
 */
describe('a session on the bundled functions', () => {
  it('runs the bundles on Node 24', async () => {
    // Act
    const health = (await (await api('/health')).json()) as { handlers?: string };

    // Assess
    expect(health.handlers).toBe('bundles');
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('signs up, logs in, refreshes, calls a protected route and logs out', async () => {
    // Prepare: sign-up through its mailed link (the helper knows the sign-up steps)
    const signedUp = await newVerifiedUser('bundle');

    // Act
    const session = await login(signedUp.email);
    const refreshed = await refresh(session.refreshToken);
    const refreshCookie = refreshCookieOf(refreshed)?.value;
    const { accessToken } = (await refreshed.json()) as { accessToken: string };
    const profile = await me(accessToken);
    const loggedOut = await api('/auth/logout', { method: 'POST', headers: { ...bearer(accessToken), ...withCookie(refreshCookie ?? '') } });

    // Assess
    expect(refreshed.status).toBe(200);
    expect(refreshCookie).toBeTruthy();
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ user: { id: signedUp.userId, email: signedUp.email } });
    expect(loggedOut.status).toBe(204);
    await expectProblem(await me(accessToken), 401, 'unauthorized');
    await expectProblem(await refresh(refreshCookie), 401, 'invalid_refresh_token');
  });
});
