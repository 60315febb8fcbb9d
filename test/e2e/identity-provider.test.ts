import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityProvider, type RunningIdentityProvider } from '../../infra/local/identity-provider';
import { launchChromium } from './browser';

/**
 * The local OpenID provider's sign-in page in Chromium, through its data-testid hooks only: what
 * the provider e2e tests of the demo rely on. The relying party here is a stand-in that records
 * what reaches its callback, by a GET (query) or a cross-site form POST (form_post).
 */
interface Arrival {
  method: string;
  params: URLSearchParams;
}

const clientSecret = randomBytes(24).toString('base64url');
let browser: Browser;
let provider: RunningIdentityProvider;
let relyingParty: Server;
let callbackUrl: string;
const arrivals: Arrival[] = [];

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
  });

beforeAll(async () => {
  relyingParty = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    arrivals.push({ method: req.method ?? '', params });
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('signed in');
  });
  await new Promise<void>((resolve) => relyingParty.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://localhost:${(relyingParty.address() as AddressInfo).port}/auth/oauth/local/callback`;
  provider = await startIdentityProvider({ port: 0, clients: [{ clientId: 'e2e-client', clientSecret, redirectUris: [callbackUrl] }] });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await provider?.stop();
  await new Promise((resolve) => relyingParty?.close(resolve));
});

/** Opens the authorization URL in `page`; resolves with the verifier and state to check the arrival. */
async function startSignIn(page: Page, responseMode: 'query' | 'form_post') {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL('/auth', provider.issuer);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'e2e-client',
    redirect_uri: callbackUrl,
    scope: 'openid email',
    state,
    nonce: randomBytes(16).toString('base64url'),
    response_mode: responseMode,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  await page.goto(url.href);
  return { verifier, state };
}

/** Waits for the callback to be reached with `state`, then redeems its code for the ID token's claims. */
async function arrivalFor(page: Page, state: string, verifier: string) {
  await page.waitForURL((url) => url.href.startsWith(callbackUrl));
  const arrival = arrivals.find((a) => a.params.get('state') === state)!;
  const code = arrival.params.get('code');
  if (!code) return { arrival, claims: undefined };
  const discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string; jwks_uri: string };
  const tokens = (await (
    await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`e2e-client:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: verifier }).toString(),
    })
  ).json()) as { id_token: string };
  const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: provider.issuer, audience: 'e2e-client' });
  return { arrival, claims: payload };
}

describe('the local OpenID provider in Chromium', () => {
  it('signs in with the typed address, verified by default, and posts the code back cross-site (form_post)', async () => {
    // Prepare
    const page = await browser.newPage();
    const { verifier, state } = await startSignIn(page, 'form_post');

    // Act
    await page.getByTestId('idp-email').fill('chromium@example.com');
    const verifiedByDefault = await page.getByTestId('idp-email-verified').isChecked();
    await page.getByTestId('idp-submit').click();
    const { arrival, claims } = await arrivalFor(page, state, verifier);

    // Assess
    expect(verifiedByDefault).toBe(true);
    expect(arrival.method).toBe('POST');
    expect(claims).toMatchObject({ email: 'chromium@example.com', email_verified: true });
    await page.close();
  });

  it('shows its page again in the same browser, so the next sign-in can be another, unverified address (query)', async () => {
    // Prepare: one browser context, two sign-ins.
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = await startSignIn(page, 'query');
    await page.getByTestId('idp-email').fill('first@example.com');
    await page.getByTestId('idp-submit').click();
    const before = await arrivalFor(page, first.state, first.verifier);

    // Act
    const second = await startSignIn(page, 'query');
    await page.getByTestId('idp-email').fill('second@example.com');
    await page.getByTestId('idp-email-verified').uncheck();
    await page.getByTestId('idp-submit').click();
    const after = await arrivalFor(page, second.state, second.verifier);

    // Assess
    expect(after.arrival.method).toBe('GET');
    expect(after.claims).toMatchObject({ email: 'second@example.com', email_verified: false });
    expect(after.claims?.sub).not.toBe(before.claims?.sub);
    await context.close();
  });

  it('sends access_denied back when the person cancels', async () => {
    // Prepare
    const page = await browser.newPage();
    const { verifier, state } = await startSignIn(page, 'query');

    // Act
    await page.getByTestId('idp-cancel').click();
    const { arrival, claims } = await arrivalFor(page, state, verifier);

    // Assess
    expect(arrival.params.get('error')).toBe('access_denied');
    expect(claims).toBeUndefined();
    await page.close();
  });
});
