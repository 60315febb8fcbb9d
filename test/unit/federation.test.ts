import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext } from '../../shared/auth/context';
import { callbackUrl, checkedReturnTo, consumeFlow, FLOW_TTL_SECONDS, flowKeyOf, startFlow } from '../../shared/auth/federation';
import { decideFederatedSignIn, isSameSitePath, providerDisplayName, trustedAddress, type AccountFacts, type FederationFacts } from '../../shared/auth/federation-rules';
import { parseConfig, type IdentityProviderConfig } from '../../shared/config';
import { ApiError } from '../../shared/errors';
import { callbackRedirect, flowCookie } from '../../shared/http/federation-reply';
import { memoryPasskeyStores } from '../support/memory-passkeys';

const ISSUER = 'http://127.0.0.1:8010';
const APP = 'http://localhost:3000';
const local: IdentityProviderConfig = { id: 'local', preset: 'oidc', clientId: 'client', issuer: ISSUER, trustEmail: true, clientSecret: 'secret' };

/** The flow rules over an in-memory single-use store that keeps the one property that matters: an item is consumed once. */
function memoryContext(start = Date.UTC(2026, 11, 3, 9, 0, 0)) {
  const { challenges: items, challengeStore } = memoryPasskeyStores();
  const clock = { now: start };
  const ctx = {
    config: parseConfig({ TABLE_NAME: 't', APP_URL: APP, JWT_ISSUER: 'http://localhost:3000', IDENTITY_PROVIDERS: JSON.stringify([local]) }),
    now: () => clock.now,
    challenges: challengeStore,
  } as unknown as AuthContext;
  return { ctx, items, clock };
}

/** Discovery of the provider, answered without a network. */
function stubDiscovery(): void {
  const metadata = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token`, jwks_uri: `${ISSUER}/jwks` };
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(metadata), { headers: { 'content-type': 'application/json' } })));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

async function startedFlow(ctx: AuthContext) {
  stubDiscovery();
  const flow = await startFlow(ctx, local, { returnTo: '/account', intent: 'signin' });
  const url = new URL(flow.authorizationUrl);
  return { ...flow, url, state: url.searchParams.get('state')! };
}

describe('a provider flow', () => {
  it('asks for the code with PKCE S256, state, nonce and our callback, and stores the flow under the SHA-256 of state for 10 minutes', async () => {
    // Prepare
    const { ctx, items, clock } = memoryContext();

    // Act
    const { url, state } = await startedFlow(ctx);

    // Assess
    expect(url.origin + url.pathname).toBe(`${ISSUER}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code', client_id: 'client', redirect_uri: callbackUrl(ctx, 'local'), code_challenge_method: 'S256', scope: 'openid email',
    });
    const stored = items.get(flowKeyOf(state))!;
    expect(stored).toMatchObject({ purpose: 'oauth_flow', expiresAt: clock.now + FLOW_TTL_SECONDS * 1000, flow: { provider: 'local', returnTo: '/account', intent: 'signin' } });
    expect(url.searchParams.get('nonce')).toBe(stored.flow!.nonce);
    expect(url.searchParams.get('code_challenge')).toBe(createHash('sha256').update(stored.flow!.verifier).digest('base64url'));
    expect(JSON.stringify(stored)).not.toContain(state);
  });

  it('is handed to the callback once, and only with the cookie of the browser that started it', async () => {
    // Prepare
    const { ctx } = memoryContext();
    const { state, browserSecret } = await startedFlow(ctx);

    // Act
    const first = await consumeFlow(ctx, 'local', state, browserSecret);
    const replayed = await consumeFlow(ctx, 'local', state, browserSecret);

    // Assess
    expect(first).toMatchObject({ provider: 'local', state, returnTo: '/account' });
    expect(replayed).toBeUndefined();
  });

  it.each([
    ['no flow cookie', undefined],
    ['another browser’s flow cookie', 'another-browsers-cookie-value'],
  ])('is refused with %s, and spent', async (_, cookie) => {
    // Prepare
    const { ctx } = memoryContext();
    const { state, browserSecret } = await startedFlow(ctx);

    // Act
    const refused = await consumeFlow(ctx, 'local', state, cookie);
    const afterwards = await consumeFlow(ctx, 'local', state, browserSecret);

    // Assess
    expect(refused).toBeUndefined();
    expect(afterwards).toBeUndefined();
  });

  it('is refused at another provider’s callback, without a state, and after its 10 minutes', async () => {
    // Prepare
    const { ctx, clock } = memoryContext();
    const one = await startedFlow(ctx);
    const two = await startedFlow(ctx);

    // Act
    const otherProvider = await consumeFlow(ctx, 'google', one.state, one.browserSecret);
    const noState = await consumeFlow(ctx, 'local', null, two.browserSecret);
    clock.now += FLOW_TTL_SECONDS * 1000;
    const late = await consumeFlow(ctx, 'local', two.state, two.browserSecret);

    // Assess
    expect([otherProvider, noState, late]).toEqual([undefined, undefined, undefined]);
  });
});

describe('the flow cookie', () => {
  it('is HttpOnly, Secure, SameSite=None (a form_post callback brings it), 10 minutes, on the provider routes under the stage only', () => {
    // Act
    const cookie = flowCookie('value', { path: '/auth/oauth/local/start', requestContext: { path: '/prod/auth/oauth/local/start' } });

    // Assess
    expect(cookie.split('; ')).toEqual(['oauth_flow=value', 'Max-Age=600', 'Path=/prod/auth/oauth', 'HttpOnly', 'Secure', 'SameSite=None']);
  });
});

describe('the callback’s redirect', () => {
  const event = { path: '/auth/oauth/local/callback' };
  const cookie = { sameSite: 'Strict' as const, path: '/auth' };

  it('sends a refusal to the sign-in page with its code and clears the flow cookie', () => {
    // Act
    const reply = callbackRedirect({ kind: 'error', error: 'invalid_state' }, { APP_URL: APP }, event, cookie);

    // Assess
    expect(reply).toMatchObject({ status: 303, headers: { Location: `${APP}/signin#error=invalid_state` } });
    expect(reply.cookies).toEqual([expect.stringMatching(/^oauth_flow=; Max-Age=0; /)]);
  });

  it('signs in with the refresh cookie only: no token in the URL', () => {
    // Act
    const tokens = { accessToken: 'access', refreshToken: 'refresh', refreshMaxAgeSeconds: 60, expiresIn: 900 };
    const reply = callbackRedirect({ kind: 'signed_in', tokens: tokens as never, returnTo: '/account' }, { APP_URL: APP }, event, cookie);

    // Assess
    expect(reply.headers!.Location).toBe(`${APP}/account`);
    expect(reply.cookies).toContainEqual(expect.stringMatching(/^refresh_token=refresh; /));
    expect(reply.headers!.Location).not.toContain('access');
  });

  it('hands the second step its mfaToken in the fragment, which never reaches a server', () => {
    // Act
    const reply = callbackRedirect({ kind: 'second_factor', mfaToken: 'mfa1_abc' }, { APP_URL: APP }, event, cookie);

    // Assess
    expect(reply.headers!.Location).toBe(`${APP}/mfa#mfaToken=mfa1_abc`);
  });
});

describe('returnTo', () => {
  it.each(['/', '/account', '/account#sign-in-methods', '/a/b?c=d', '/%2F%2Fevil.example'])('accepts the same-site path %s', (path) => {
    expect(isSameSitePath(path)).toBe(true);
  });

  it.each([
    '', '//evil.example', '/\\evil.example', '\\\\evil.example', 'https://evil.example', 'evil.example', 'javascript:alert(1)', '/\tevil', '/ /evil',
    '/a\nb', `/${'a'.repeat(600)}`, 'http:/evil.example',
  ])('refuses %j: never an open redirect', (path) => {
    expect(isSameSitePath(path)).toBe(false);
  });

  it('defaults to / and answers a bad one with 400 validation_failed naming returnTo', () => {
    // Act
    const refusal = (() => {
      try {
        checkedReturnTo('//evil.example');
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(checkedReturnTo(undefined)).toBe('/');
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ code: 'validation_failed', options: { errors: [{ field: 'returnTo' }] } });
  });
});

describe('which addresses count', () => {
  it.each([
    ['google', undefined, true, 'ada@example.com'],
    ['google', undefined, false, undefined],
    ['github', undefined, true, 'ada@example.com'],
    ['github', undefined, false, undefined],
    ['microsoft', undefined, true, undefined],
    ['oidc', true, true, 'ada@example.com'],
    ['oidc', true, false, undefined],
    ['oidc', undefined, true, undefined],
  ] as const)('%s (trustEmail %s) saying verified=%s: %s', (preset, trustEmail, emailVerified, expected) => {
    // Act
    const address = trustedAddress({ preset, ...(trustEmail === undefined ? {} : { trustEmail }) }, { email: 'Ada@Example.com', emailVerified });

    // Assess
    expect(address).toBe(expected);
  });

  it('names the presets, and a generic provider by its id', () => {
    expect([providerDisplayName({ id: 'g', preset: 'google' }), providerDisplayName({ id: 'gh', preset: 'github' }), providerDisplayName({ id: 'local', preset: 'oidc' })]).toEqual(['Google', 'GitHub', 'Local']);
  });
});

describe('who gets which account', () => {
  const owner: AccountFacts = { userId: 'owner', disabled: false, mfaEnabled: false };
  const other: AccountFacts = { userId: 'other', disabled: false, mfaEnabled: false };
  const signIn = (facts: Partial<FederationFacts>): FederationFacts => ({ intent: 'signin', ...facts });
  const link = (facts: Partial<FederationFacts>): FederationFacts => ({ intent: 'link', linkAccount: owner, ...facts });

  it.each([
    ['a known identity signs in to its account', signIn({ identityOwner: owner }), { action: 'sign_in', userId: 'owner' }],
    ['a known identity whose account has two-factor on asks for the code', signIn({ identityOwner: { ...owner, mfaEnabled: true } }), { action: 'second_factor', userId: 'owner' }],
    ['a known identity of a disabled account is refused', signIn({ identityOwner: { ...owner, disabled: true } }), { action: 'refuse', error: 'account_disabled' }],
    ['a known identity wins over the address it now shows', signIn({ identityOwner: owner, trustedEmail: 'x@example.com', accountWithEmail: other }), { action: 'sign_in', userId: 'owner' }],
    ['a new identity without a trusted, verified address is refused (untrusted provider, unverified address)', signIn({}), { action: 'refuse', error: 'email_not_verified' }],
    ['a new identity with a trusted address and no account creates one', signIn({ trustedEmail: 'new@example.com' }), { action: 'create_account', email: 'new@example.com' }],
    ['a new identity with the address of an account is never linked silently: the mailbox is asked', signIn({ trustedEmail: 'ada@example.com', accountWithEmail: other }), { action: 'mail_link', userId: 'other', email: 'ada@example.com' }],
    ['a new identity with the address of a two-factor account is asked by mail too (the code comes at confirm)', signIn({ trustedEmail: 'ada@example.com', accountWithEmail: { ...other, mfaEnabled: true } }), { action: 'mail_link', userId: 'other', email: 'ada@example.com' }],
    ['a new identity with the address of a disabled account is refused', signIn({ trustedEmail: 'ada@example.com', accountWithEmail: { ...other, disabled: true } }), { action: 'refuse', error: 'account_disabled' }],
    ['a link flow links a new identity to the signed-in owner', link({}), { action: 'link', userId: 'owner' }],
    ['a link flow links whatever address the identity shows (the owner vouches for it)', link({ trustedEmail: 'else@example.com', accountWithEmail: other }), { action: 'link', userId: 'owner' }],
    ['a link flow of an identity already on this account changes nothing', link({ identityOwner: owner }), { action: 'already_linked', userId: 'owner' }],
    ['a link flow of an identity of another account is refused', link({ identityOwner: other }), { action: 'refuse', error: 'identity_in_use' }],
    ['a link flow whose account was disabled meanwhile is refused', link({ linkAccount: { ...owner, disabled: true } }), { action: 'refuse', error: 'account_disabled' }],
    ['a link flow whose account is gone fails', { intent: 'link' } as FederationFacts, { action: 'refuse', error: 'oauth_failed' }],
  ])('%s', (_, facts, decision) => {
    expect(decideFederatedSignIn(facts)).toEqual(decision);
  });
});

describe('IDENTITY_PROVIDERS', () => {
  const parse = (value: unknown) => parseConfig({ TABLE_NAME: 't', IDENTITY_PROVIDERS: typeof value === 'string' ? value : JSON.stringify(value) }).IDENTITY_PROVIDERS;

  it('is empty by default and parses the presets', () => {
    expect(parseConfig({ TABLE_NAME: 't' }).IDENTITY_PROVIDERS).toEqual([]);
    expect(parse([{ id: 'google', preset: 'google', clientId: 'c', clientSecretId: 'arn:secret' }])).toEqual([{ id: 'google', preset: 'google', clientId: 'c', clientSecretId: 'arn:secret' }]);
  });

  it.each([
    ['not JSON', 'nope', /IDENTITY_PROVIDERS: must be a JSON array/],
    ['an oidc provider without issuer', [{ id: 'x', preset: 'oidc', clientId: 'c', clientSecretId: 's' }], /needs its issuer/],
    ['an http issuer off loopback', [{ id: 'x', preset: 'oidc', clientId: 'c', issuer: 'http://idp.example', clientSecretId: 's' }], /https URL/],
    ['trustEmail on a preset', [{ id: 'g', preset: 'microsoft', clientId: 'c', trustEmail: true, clientSecretId: 's' }], /trustEmail is for oidc/],
    ['no secret', [{ id: 'g', preset: 'google', clientId: 'c' }], /clientSecretId or clientSecret/],
    ['a duplicate id', [{ id: 'g', preset: 'google', clientId: 'c', clientSecretId: 's' }, { id: 'g', preset: 'github', clientId: 'c', clientSecretId: 's' }], /unique/],
    ['a bad id', [{ id: 'Google!', preset: 'google', clientId: 'c', clientSecretId: 's' }], /IDENTITY_PROVIDERS\.0\.id/],
  ])('refuses %s, naming the variable', (_, value, message) => {
    expect(() => parse(value)).toThrow(message);
  });
});
