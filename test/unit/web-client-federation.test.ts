import { describe, expect, it } from 'vitest';
import { createAuthClient, type StorageLike } from '../../web/client';

const baseUrl = 'https://api.example.test/prod';
const user = { id: 'u1', email: 'ada@example.com', createdAt: '2026-01-01T00:00:00.000Z', mfaEnabled: false };

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** A client over a recording fake of the provider routes; `navigated` holds every page the client went to. */
function setUp() {
  const requests: { method: string; path: string; body: unknown; authorization: string | null }[] = [];
  const navigated: string[] = [];
  const store = new Map<string, string>();
  const storage: StorageLike = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v), removeItem: (k) => void store.delete(k) };
  const fetch = (async (input: RequestInfo | URL) => {
    const request = input as Request;
    const path = new URL(request.url).pathname.replace('/prod', '');
    const body = request.method === 'GET' ? undefined : await request.clone().json().catch(() => undefined);
    requests.push({ method: request.method, path, body, authorization: request.headers.get('Authorization') });
    if (path === '/auth/login') return json(200, { user, accessToken: 'access-1', tokenType: 'Bearer', expiresIn: 900 });
    if (path === '/auth/refresh') return json(200, { accessToken: 'access-2', tokenType: 'Bearer', expiresIn: 900 });
    if (path === '/auth/oauth/local/link') return json(200, { authorizationUrl: 'http://127.0.0.1:8010/auth?state=s' });
    if (path === '/auth/providers') return json(200, { providers: [{ id: 'local', name: 'Local' }] });
    if (path.startsWith('/auth/identities/')) return new Response(null, { status: 204 });
    return json(404, { code: 'not_found' });
  }) as typeof globalThis.fetch;
  const client = createAuthClient({ baseUrl, fetch, storage, locks: null, broadcast: null, navigate: (url) => void navigated.push(url) });
  return { client, requests, navigated };
}

describe('web client: identity providers', () => {
  it('signs in with a provider by navigating to its start route, and then restores the session the callback set', async () => {
    // Prepare
    const { client, requests, navigated } = setUp();

    // Act
    client.signInWith('local', { returnTo: '/account' });
    const restored = await client.restore();

    // Assess
    expect(navigated).toEqual([`${baseUrl}/auth/oauth/local/start?returnTo=%2Faccount`]);
    expect(restored).toBe(true);
    expect(requests.map((r) => r.path)).toEqual(['/auth/refresh']);
  });

  it('connects a provider with the step-up and returnTo, then navigates to the provider', async () => {
    // Prepare
    const { client, requests, navigated } = setUp();
    await client.login({ email: user.email, password: 'pw' });

    // Act
    await client.linkProvider('local', { password: 'pw' }, { returnTo: '/account' });

    // Assess
    expect(requests.at(-1)).toEqual({ method: 'POST', path: '/auth/oauth/local/link', body: { password: 'pw', returnTo: '/account' }, authorization: 'Bearer access-1' });
    expect(navigated).toEqual(['http://127.0.0.1:8010/auth?state=s']);
  });

  it('disconnects an identity without a step-up body for an account that steps up by a recent sign-in', async () => {
    // Prepare
    const { client, requests } = setUp();
    await client.login({ email: user.email, password: 'pw' });

    // Act
    await client.unlinkIdentity('abc');

    // Assess
    expect(requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/auth/identities/abc', body: {} });
  });

  it('lists the configured providers without a session', async () => {
    // Act
    const providers = await setUp().client.identityProviders();

    // Assess
    expect(providers).toEqual([{ id: 'local', name: 'Local' }]);
  });
});
