import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startIdentityProvider, type RunningIdentityProvider } from '../../infra/local/identity-provider';
import { findFreePort } from '../../infra/local/loopback';
import { localIdentityProvider } from '../../infra/local/stack';
import { CookieJar, getWithHost } from '../support/http';
import { throughLocalProvider } from '../support/local-provider';

/**
 * The local OpenID provider (infra/local/identity-provider.ts) on its own, driven over HTTP the
 * way a browser and a relying party drive it: the page's form submitted, redirects followed with
 * the provider's cookies, the code exchanged with PKCE and the ID token checked against the JWKS.
 */
const client = { clientId: 'test-relying-party', clientSecret: randomBytes(24).toString('base64url'), redirectUris: ['http://localhost:9/auth/oauth/local/callback'] };
const redirectUri = client.redirectUris[0]!;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  code_challenge_methods_supported: string[];
  response_modes_supported: string[];
}

interface FlowOptions {
  email: string;
  verified?: boolean;
  responseMode?: 'query' | 'form_post';
  pkce?: boolean;
  cancel?: boolean;
  /** The browser's cookies at the provider; a fresh browser unless given. */
  jar?: CookieJar;
}

interface Authorization {
  /** The parameters the relying party receives at its redirect URI. */
  params: URLSearchParams;
  verifier: string;
  nonce: string;
  state: string;
  /** The sign-in page as the browser got it. */
  page: string;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

let provider: RunningIdentityProvider;
let discovery: Discovery;

beforeAll(async () => {
  provider = await startIdentityProvider({ port: 0, clients: [client] });
  discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
});

afterAll(async () => {
  await provider?.stop();
});

/** The browser's part: authorization request, sign-in page, form, redirects up to the relying party. */
async function authorize(options: FlowOptions): Promise<Authorization> {
  const jar = options.jar ?? new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: 'openid email',
    state,
    nonce,
    response_mode: options.responseMode ?? 'query',
    ...(options.pkce === false ? {} : { code_challenge: s256(verifier), code_challenge_method: 'S256' }),
  }).toString();

  const { end, page } = await throughLocalProvider(jar, provider.issuer, url.href, options, redirectUri);
  if (end instanceof URL) return { params: end.searchParams, verifier, nonce, state, page };
  // form_post: a page that posts the parameters to the relying party.
  const html = await end.text();
  expect(html).toContain(`action="${redirectUri}"`);
  const params = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) params.set(name!, value!);
  return { params, verifier, nonce, state, page };
}

/** The relying party's part: the code for tokens, the ID token checked, its claims. */
async function redeem(authorization: Authorization) {
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: authorization.params.get('code') ?? '',
      redirect_uri: redirectUri,
      code_verifier: authorization.verifier,
    }).toString(),
  });
  const body = (await response.json()) as { id_token?: string; error?: string };
  if (!body.id_token) return { status: response.status, error: body.error, claims: undefined };
  const { payload } = await jwtVerify(body.id_token, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: provider.issuer, audience: client.clientId });
  return { status: response.status, error: undefined, claims: payload };
}

describe('the local OpenID provider', () => {
  it('serves its discovery document for its loopback issuer, with PKCE S256 and the query and form_post response modes', () => {
    // Assess
    expect(provider.issuer).toBe(`http://127.0.0.1:${provider.port}`);
    expect(discovery.issuer).toBe(provider.issuer);
    expect(discovery.authorization_endpoint.startsWith(provider.issuer)).toBe(true);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.response_modes_supported).toEqual(expect.arrayContaining(['query', 'form_post']));
  });

  it('shows a sign-in page with the address field, the verified checkbox checked by default and the submit button', async () => {
    // Act
    const { page } = await authorize({ email: 'page@example.com' });

    // Assess
    expect(page).toMatch(/<input[^>]+name="email"[^>]+data-testid="idp-email"/);
    expect(page).toMatch(/<input[^>]+name="email_verified"[^>]+checked[^>]+data-testid="idp-email-verified"/);
    expect(page).toContain('data-testid="idp-submit"');
  });

  it('completes the code flow: the ID token carries the typed address, verified, and the nonce', async () => {
    // Act
    const authorization = await authorize({ email: 'Alice@Example.com' });
    const { claims } = await redeem(authorization);

    // Assess
    expect(authorization.params.get('state')).toBe(authorization.state);
    expect(authorization.params.get('iss')).toBe(provider.issuer);
    expect(claims).toMatchObject({ email: 'Alice@Example.com', email_verified: true, nonce: authorization.nonce, aud: client.clientId });
    expect(claims?.sub).toEqual(expect.any(String));
  });

  it('gives an address the same subject at every sign-in, whatever its case, and another address another one', async () => {
    // Act
    const first = await redeem(await authorize({ email: 'same@example.com' }));
    const again = await redeem(await authorize({ email: 'SAME@example.com' }));
    const other = await redeem(await authorize({ email: 'other@example.com' }));

    // Assess
    expect(again.claims?.sub).toBe(first.claims?.sub);
    expect(other.claims?.sub).not.toBe(first.claims?.sub);
  });

  it('shows its page again to a browser that signed in before, so the next sign-in can be another address', async () => {
    // Prepare
    const jar = new CookieJar();
    const first = await redeem(await authorize({ email: 'first@example.com', jar }));

    // Act
    const second = await authorize({ email: 'second@example.com', jar });

    // Assess
    expect(second.page).toContain('data-testid="idp-email"');
    expect((await redeem(second)).claims).toMatchObject({ email: 'second@example.com' });
    expect((await redeem(second)).claims).toBeUndefined();
    expect(first.claims).toMatchObject({ email: 'first@example.com' });
  });

  it('says email_verified false when the checkbox is cleared', async () => {
    // Act
    const { claims } = await redeem(await authorize({ email: 'unverified@example.com', verified: false }));

    // Assess
    expect(claims).toMatchObject({ email: 'unverified@example.com', email_verified: false });
  });

  it('answers with form_post when asked, posting the code and state to the redirect URI', async () => {
    // Act
    const authorization = await authorize({ email: 'form-post@example.com', responseMode: 'form_post' });
    const { claims } = await redeem(authorization);

    // Assess
    expect(authorization.params.get('state')).toBe(authorization.state);
    expect(claims).toMatchObject({ email: 'form-post@example.com' });
  });

  it('refuses an authorization request without PKCE', async () => {
    // Act
    const { params } = await authorize({ email: 'no-pkce@example.com', pkce: false });

    // Assess
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('code')).toBeNull();
  });

  it('refuses a code redeemed without its verifier', async () => {
    // Prepare
    const authorization = await authorize({ email: 'verifier@example.com' });

    // Act
    const result = await redeem({ ...authorization, verifier: randomBytes(32).toString('base64url') });

    // Assess
    expect(result).toMatchObject({ status: 400, error: 'invalid_grant', claims: undefined });
  });

  it('sends access_denied back when the person cancels on its page', async () => {
    // Act
    const { params } = await authorize({ email: 'cancel@example.com', cancel: true });

    // Assess
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('code')).toBeNull();
  });

  it('answers only the loopback host names (DNS rebinding)', async () => {
    // Act
    const rebound = await getWithHost(`${provider.issuer}/.well-known/openid-configuration`, `rebound.attacker.example:${provider.port}`);
    const local = await getWithHost(`${provider.issuer}/.well-known/openid-configuration`, `localhost:${provider.port}`);

    // Assess
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('authorization_endpoint');
    expect(local.status).toBe(200);
  });
});

describe('starting and stopping the local OpenID provider', () => {
  it('fails with one line naming IDP_PORT when its port is taken', async () => {
    // Prepare: someone else on the port.
    const port = await findFreePort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));

    try {
      // Act
      const starting = startIdentityProvider({ port, clients: [client] });

      // Assess
      await expect(starting).rejects.toThrow(new RegExp(`^Identity provider \\(IDP_PORT\\): port ${port} on 127\\.0\\.0\\.1 is already in use`));
      await expect(starting).rejects.toMatchObject({ name: 'LocalStackError' });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('frees its port when stopped, so it starts again on the same one', async () => {
    // Prepare
    const first = await startIdentityProvider({ port: 0, clients: [client] });

    // Act
    await first.stop();
    const second = await startIdentityProvider({ port: first.port, clients: [client] });

    try {
      // Assess
      expect(first.process.exitCode !== null || first.process.signalCode !== null).toBe(true);
      expect(second.issuer).toBe(first.issuer);
      expect((await fetch(`${second.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

describe("the local stack's provider `local`", () => {
  /** The first hop of an authorization request by the gateway's client, to the given redirect URI. */
  const authorizationRequest = (issuer: string, redirect: string) => {
    const url = new URL('/auth', issuer);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: localIdentityProvider.clientId,
      redirect_uri: redirect,
      scope: 'openid email',
      state: 'state',
      nonce: 'nonce',
      code_challenge: s256('verifier'),
      code_challenge_method: 'S256',
    }).toString();
    return fetch(url, { redirect: 'manual' });
  };

  it("knows the gateway's callback on either loopback name as its client's redirect URI, and no other", async () => {
    // Prepare
    const { apiUrl, identityProviderUrl } = inject('integrationStack');
    const port = new URL(apiUrl).port;

    // Act
    const byName = await authorizationRequest(identityProviderUrl, `http://localhost:${port}/auth/oauth/local/callback`);
    const byAddress = await authorizationRequest(identityProviderUrl, `http://127.0.0.1:${port}/auth/oauth/local/callback`);
    const elsewhere = await authorizationRequest(identityProviderUrl, 'https://evil.example/auth/oauth/local/callback');

    // Assess: the two go on to the sign-in page; the foreign one is refused on the provider's own error page.
    expect(new URL(identityProviderUrl).hostname).toBe('127.0.0.1');
    expect([byName.status, byAddress.status]).toEqual([303, 303]);
    expect(byName.headers.get('location')).toMatch(/^\/interaction\//);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
  });
});
