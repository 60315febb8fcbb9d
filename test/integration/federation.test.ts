import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { signedFetch } from '../../infra/admin-client';
import { subjectOf } from '../../infra/local/identity-provider-server';
import { CookieJar } from '../support/http';
import { throughLocalProvider, type ProviderPerson } from '../support/local-provider';
import { codeAt } from '../../shared/auth/totp';
import {
  api, bearer, enableTwoFactor, expectProblem, login, mailsTo, me, newVerifiedUser, PASSWORD, postJson, refresh, refreshCookieOf, reset, resetLink,
  setCookieOf, sleep, stack, tableClient, uniqueEmail, waitForMails, type SignedIn,
} from './support';

/**
 * Sign-in with an identity provider against the local stack and its local OpenID provider, over
 * HTTP, following redirects the way a browser does: the API's cookies (the flow cookie, the
 * refresh cookie) and the provider's kept apart, the provider's sign-in page filled in.
 */
const APP = stack.apiUrl;
const PROVIDER = 'local';

/** A browser: the API's cookies and the provider's. */
class Browser {
  readonly api = new CookieJar();
  readonly provider = new CookieJar();
}

/** The provider's part (its redirects, its sign-in page, its form); ends at our callback's URL. */
async function throughProvider(browser: Browser, authorizationUrl: string, person: ProviderPerson): Promise<URL> {
  const { end } = await throughLocalProvider(browser.provider, stack.identityProviderUrl, authorizationUrl, person, `${APP}/auth/oauth/`);
  if (!(end instanceof URL)) throw new Error(`the provider did not send the browser back (${end.status})`);
  return end;
}

/** A navigation to the API with this browser's cookies; its cookies kept. */
async function navigate(browser: Browser, url: string): Promise<Response> {
  const response = await api(url.replace(APP, ''), { redirect: 'manual', headers: { Cookie: browser.api.header() } });
  browser.api.store(response);
  return response;
}

/** Where a 303 to the app lands, as the page reads it. */
function landing(response: Response): { path: string; fragment: URLSearchParams } {
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location')!);
  expect(location.origin).toBe(new URL(APP).origin);
  return { path: location.pathname, fragment: new URLSearchParams(location.hash.slice(1)) };
}

/** Continue with the provider from the signed-out page, all the way back: the callback's reply. */
async function continueWithProvider(person: ProviderPerson, browser = new Browser(), returnTo = '/account'): Promise<Response> {
  const started = await navigate(browser, `${APP}/auth/oauth/${PROVIDER}/start?returnTo=${encodeURIComponent(returnTo)}`);
  expect(started.status).toBe(302);
  const callback = await throughProvider(browser, started.headers.get('location')!, person);
  return navigate(browser, callback.href);
}

/** The session the refresh cookie of a callback's reply carries. */
async function sessionOf(response: Response): Promise<{ accessToken: string; userId: string; refreshToken: string }> {
  const refreshToken = refreshCookieOf(response)?.value;
  if (!refreshToken) throw new Error('no refresh cookie');
  const refreshed = await refresh(refreshToken, { Origin: APP });
  expect(refreshed.status).toBe(200);
  const { accessToken } = (await refreshed.json()) as { accessToken: string };
  const { user } = (await (await me(accessToken)).json()) as { user: { id: string } };
  return { accessToken, userId: user.id, refreshToken: refreshCookieOf(refreshed)!.value };
}

async function methodsOf(accessToken: string) {
  const response = await api('/auth/methods', { headers: bearer(accessToken) });
  expect(response.status).toBe(200);
  return (await response.json()) as { password: boolean; totp: boolean; passkeys: unknown[]; identities: Array<{ id: string; provider: string; email: string | null }> };
}

/** The "connect <provider>?" link's token from the `count`th such mail to `email`, polled for with a deadline. */
async function connectToken(email: string, count = 1): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mails = (await mailsTo(email)).filter((mail) => mail.subject.startsWith('Connect'));
    const token = /\/link-identity\?token=([A-Za-z0-9_.~-]+)/.exec(mails[count - 1]?.body.text ?? '')?.[1];
    if (token) return token;
    if (Date.now() > deadline) throw new Error(`no connect link mailed to ${email} within 10 s`);
    await sleep(50);
  }
}

const table = tableClient();

/**
 * Whether the table holds an account for the address and the local provider's identity of it
 * (keyed by the subject the provider gives that address), read straight from DynamoDB Local.
 */
async function accountRecordsOf(email: string): Promise<{ account: boolean; identity: boolean }> {
  const read = async (pk: string, sk: string) => (await table.send(new GetCommand({ TableName: stack.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item !== undefined;
  return { account: await read(`EMAIL#${email}`, 'EMAIL'), identity: await read(`IDENTITY#${PROVIDER}#${subjectOf(email)}`, 'IDENTITY') };
}

/** Connects the provider to a signed-in account (step-up by password): the callback's reply. */
async function connect(user: Pick<SignedIn, 'accessToken'>, person: ProviderPerson, stepUp: Record<string, string> = { password: PASSWORD }, browser = new Browser()): Promise<Response> {
  const linked = await api(`/auth/oauth/${PROVIDER}/link`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...bearer(user.accessToken), Origin: APP },
    body: JSON.stringify({ ...stepUp, returnTo: '/account#sign-in-methods' }),
  });
  expect(linked.status).toBe(200);
  browser.api.store(linked);
  const { authorizationUrl } = (await linked.json()) as { authorizationUrl: string };
  const callback = await throughProvider(browser, authorizationUrl, person);
  return navigate(browser, callback.href);
}

describe('signing in with a provider', () => {
  it('creates an account without a password for a new identity with a verified address, and signs it in with the refresh cookie only', async () => {
    // Prepare
    const email = uniqueEmail('fed-new');

    // Act
    const reply = await continueWithProvider({ email });

    // Assess
    expect(landing(reply).path).toBe('/account');
    expect(reply.headers.get('location')).not.toMatch(/token/i);
    const session = await sessionOf(reply);
    const methods = await methodsOf(session.accessToken);
    expect(methods).toMatchObject({ password: false, totp: false, identities: [{ provider: PROVIDER, email }] });
  });

  it('signs the same identity in to the same account again', async () => {
    // Prepare
    const email = uniqueEmail('fed-again');
    const first = await sessionOf(await continueWithProvider({ email }));

    // Act
    const again = await sessionOf(await continueWithProvider({ email }));

    // Assess
    expect(again.userId).toBe(first.userId);
  });

  it('refuses an address the provider does not say is verified', async () => {
    // Act
    const reply = await continueWithProvider({ email: uniqueEmail('fed-unverified'), verified: false });

    // Assess
    expect(landing(reply)).toMatchObject({ path: '/signin' });
    expect(landing(reply).fragment.get('error')).toBe('email_not_verified');
    expect(refreshCookieOf(reply)?.value || undefined).toBeUndefined();
  });

  it('says oauth_cancelled when the person cancels at the provider', async () => {
    // Act
    const reply = await continueWithProvider({ email: uniqueEmail('fed-cancel'), cancel: true });

    // Assess
    expect(landing(reply).fragment.get('error')).toBe('oauth_cancelled');
  });

  it('forgot-password gives an account made through a provider its first password', async () => {
    // Prepare
    const email = uniqueEmail('fed-first-password');
    await sessionOf(await continueWithProvider({ email }));

    // Act
    const token = await resetLink(email);
    const done = await reset(token, PASSWORD);

    // Assess
    expect(done.status).toBe(204);
    const session = await login(email, PASSWORD);
    expect((await methodsOf(session.accessToken)).password).toBe(true);
  });
});

describe('an account that already has the address', () => {
  it('is never signed in through a new identity until its mailbox confirms; then it is linked and signed in', async () => {
    // Prepare
    const owner = await newVerifiedUser('fed-existing');

    // Act
    const attempt = await continueWithProvider({ email: owner.email });
    const again = await continueWithProvider({ email: owner.email });
    const token = await connectToken(owner.email);
    const before = await methodsOf(owner.accessToken);
    const confirmed = await postJson('/auth/identities/confirm', { token });
    const afterwards = await continueWithProvider({ email: owner.email });

    // Assess
    for (const reply of [attempt, again]) {
      expect(landing(reply)).toMatchObject({ path: '/signin' });
      expect(landing(reply).fragment.get('notice')).toBe('link_mail_sent');
      expect(refreshCookieOf(reply)?.value || undefined).toBeUndefined();
    }
    expect(before.identities).toEqual([]);
    expect(confirmed.status).toBe(200);
    const body = (await confirmed.json()) as { user: { id: string } };
    expect(body.user.id).toBe(owner.userId);
    expect((await sessionOf(afterwards)).userId).toBe(owner.userId);
    expect((await methodsOf(owner.accessToken)).identities).toMatchObject([{ provider: PROVIDER, email: owner.email }]);
  });

  it('uses a connect link once', async () => {
    // Prepare
    const owner = await newVerifiedUser('fed-link-once');
    await continueWithProvider({ email: owner.email });
    const token = await connectToken(owner.email);
    expect((await postJson('/auth/identities/confirm', { token })).status).toBe(200);

    // Act
    const replayed = await postJson('/auth/identities/confirm', { token });

    // Assess
    await expectProblem(replayed, 400, 'invalid_token');
  });
});

describe('the flow is bound to the browser that started it', () => {
  it('refuses a callback without the flow cookie (login CSRF)', async () => {
    // Prepare
    const victim = new Browser();
    const attacker = new Browser();
    const started = await navigate(attacker, `${APP}/auth/oauth/${PROVIDER}/start`);
    const callback = await throughProvider(attacker, started.headers.get('location')!, { email: uniqueEmail('fed-csrf') });

    // Act: the attacker's callback URL opened in the victim's browser
    const reply = await navigate(victim, callback.href);

    // Assess
    expect(landing(reply).fragment.get('error')).toBe('invalid_state');
    expect(refreshCookieOf(reply)?.value || undefined).toBeUndefined();
  });

  it('refuses a callback carrying another browser’s flow cookie', async () => {
    // Prepare
    const victim = new Browser();
    await navigate(victim, `${APP}/auth/oauth/${PROVIDER}/start`);
    const attacker = new Browser();
    const started = await navigate(attacker, `${APP}/auth/oauth/${PROVIDER}/start`);
    const callback = await throughProvider(attacker, started.headers.get('location')!, { email: uniqueEmail('fed-swap') });

    // Act
    const reply = await navigate(victim, callback.href);

    // Assess
    expect(landing(reply).fragment.get('error')).toBe('invalid_state');
  });

  it('refuses a replayed state, even from the same browser', async () => {
    // Prepare
    const browser = new Browser();
    const started = await navigate(browser, `${APP}/auth/oauth/${PROVIDER}/start`);
    const flowCookie = browser.api.get('oauth_flow')!;
    const callback = await throughProvider(browser, started.headers.get('location')!, { email: uniqueEmail('fed-replay') });
    expect(landing(await navigate(browser, callback.href)).path).toBe('/');

    // Act
    browser.api.set('oauth_flow', flowCookie);
    const replayed = await navigate(browser, callback.href);

    // Assess
    expect(landing(replayed).fragment.get('error')).toBe('invalid_state');
  });

  it('refuses an ID token whose nonce is not the flow’s (a token minted for another request): a 303 with #error=oauth_failed, no session, no account', async () => {
    // Prepare: the authorization request as the flow made it, but asking the provider for another
    // nonce; the real provider signs an ID token for our client with that nonce.
    const email = uniqueEmail('fed-nonce');
    const browser = new Browser();
    const started = await navigate(browser, `${APP}/auth/oauth/${PROVIDER}/start`);
    const authorization = new URL(started.headers.get('location')!);
    authorization.searchParams.set('nonce', 'not-the-flows-nonce');
    const callback = await throughProvider(browser, authorization.href, { email });

    // Act
    const reply = await navigate(browser, callback.href);

    // Assess
    expect(landing(reply).path).toBe('/signin');
    expect(landing(reply).fragment.get('error')).toBe('oauth_failed');
    expect(refreshCookieOf(reply)?.value || undefined).toBeUndefined();
    expect(await accountRecordsOf(email)).toEqual({ account: false, identity: false });
    // The same person through an untampered flow makes those records: the look-up above can see them.
    await sessionOf(await continueWithProvider({ email }));
    expect(await accountRecordsOf(email)).toEqual({ account: true, identity: true });
  });

  it('refuses a made-up state and code', async () => {
    // Act
    const reply = await navigate(new Browser(), `${APP}/auth/oauth/${PROVIDER}/callback?code=forged&state=forged`);

    // Assess
    expect(landing(reply).fragment.get('error')).toBe('invalid_state');
  });

  it('sets the flow cookie HttpOnly, Secure, SameSite=None, on the provider routes, for 10 minutes', async () => {
    // Act
    const started = await navigate(new Browser(), `${APP}/auth/oauth/${PROVIDER}/start`);

    // Assess
    const cookie = setCookieOf(started, 'oauth_flow');
    expect(cookie?.attributes).toEqual(new Map([['max-age', '600'], ['path', '/auth/oauth'], ['httponly', ''], ['secure', ''], ['samesite', 'None']]));
  });
});

describe('returnTo', () => {
  it.each(['//evil.example/', 'https://evil.example/', '/\\evil.example', 'evil.example', '/%09/evil.example'.replace('%09', '\t')])('refuses %j with 400 validation_failed: never an open redirect', async (returnTo) => {
    // Act
    const reply = await api(`/auth/oauth/${PROVIDER}/start?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });

    // Assess
    await expectProblem(reply, 400, 'validation_failed');
  });

  it('answers 404 for a provider that is not configured', async () => {
    await expectProblem(await api('/auth/oauth/nope/start', { redirect: 'manual' }), 404, 'not_found');
  });

  it('lists the configured providers for the sign-in pages', async () => {
    // Act
    const reply = await api('/auth/providers');

    // Assess
    expect(await reply.json()).toEqual({ providers: [{ id: PROVIDER, name: 'Local' }] });
  });
});

describe('linking and unlinking while signed in', () => {
  it('connects a provider after step-up, lists it, and disconnects it again with a notice each time', async () => {
    // Prepare
    const user = await newVerifiedUser('fed-link');
    const providerEmail = uniqueEmail('fed-link-elsewhere');

    // Act
    const linked = await connect(user, { email: providerEmail });
    const listed = await methodsOf(user.accessToken);
    const duplicate = await postJson(`/auth/oauth/${PROVIDER}/link`, { password: PASSWORD }, bearer(user.accessToken));
    const unlinked = await api(`/auth/identities/${listed.identities[0]!.id}`, {
      method: 'DELETE', headers: { 'Content-Type': 'application/json', ...bearer(user.accessToken) }, body: JSON.stringify({ password: PASSWORD }),
    });

    // Assess
    expect(landing(linked).path).toBe('/account');
    expect(listed.identities).toMatchObject([{ provider: PROVIDER, email: providerEmail }]);
    await expectProblem(duplicate, 409, 'identity_already_linked');
    expect(unlinked.status).toBe(204);
    expect((await methodsOf(user.accessToken)).identities).toEqual([]);
    const subjects = (await waitForMails(user.email, 3)).map((mail) => mail.subject);
    expect(subjects).toEqual(expect.arrayContaining(['Local was connected', 'Local was disconnected']));
    // The identity now belongs to nobody: signing in with it makes a new account of its own address.
    const fresh = await sessionOf(await continueWithProvider({ email: providerEmail }));
    expect(fresh.userId).not.toBe(user.userId);
  });

  it('refuses to connect an identity that signs in to another account', async () => {
    // Prepare
    const email = uniqueEmail('fed-taken');
    await sessionOf(await continueWithProvider({ email }));
    const user = await newVerifiedUser('fed-taker');

    // Act
    const reply = await connect(user, { email });

    // Assess
    expect(landing(reply).fragment.get('error')).toBe('identity_in_use');
  });

  it('refuses to remove the last way to sign in', async () => {
    // Prepare
    const session = await sessionOf(await continueWithProvider({ email: uniqueEmail('fed-last') }));
    const { identities } = await methodsOf(session.accessToken);

    // Act: step-up by a sign-in under 10 minutes old (the account has no password)
    const reply = await api(`/auth/identities/${identities[0]!.id}`, { method: 'DELETE', headers: bearer(session.accessToken) });

    // Assess
    await expectProblem(reply, 409, 'last_sign_in_method');
    expect((await methodsOf(session.accessToken)).identities).toHaveLength(1);
  });

  it('answers 404 for an identity that is not the caller’s', async () => {
    // Prepare
    const owner = await sessionOf(await continueWithProvider({ email: uniqueEmail('fed-owner') }));
    const { identities } = await methodsOf(owner.accessToken);
    const other = await newVerifiedUser('fed-other');

    // Act
    const reply = await api(`/auth/identities/${identities[0]!.id}`, {
      method: 'DELETE', headers: { 'Content-Type': 'application/json', ...bearer(other.accessToken) }, body: JSON.stringify({ password: PASSWORD }),
    });

    // Assess
    await expectProblem(reply, 404, 'not_found');
  });
});

describe('two-factor', () => {
  /** Continue with the provider, then the second step with the next time step's code (the confirm spent this one). */
  async function providerThenCode(person: ProviderPerson, secret: string): Promise<{ path: string; refreshCookie: string | undefined; verified: Response }> {
    const reply = await continueWithProvider(person);
    const { path, fragment } = landing(reply);
    const verified = await postJson('/auth/mfa/verify', { mfaToken: fragment.get('mfaToken'), code: codeAt(secret, Date.now() + 30_000) });
    return { path, refreshCookie: refreshCookieOf(reply)?.value || undefined, verified };
  }

  it('applies after the provider: the callback asks for the code, which then signs in', async () => {
    // Prepare
    const user = await newVerifiedUser('fed-mfa');
    const providerEmail = uniqueEmail('fed-mfa-elsewhere');
    const { secret, recoveryCodes } = await enableTwoFactor(user);
    // Step-up by a recovery code: the confirm just spent this time step's code.
    const linked = await connect(user, { email: providerEmail }, { password: PASSWORD, code: recoveryCodes[0]! });
    expect(landing(linked).path).toBe('/account');

    // Act
    const { path, refreshCookie, verified } = await providerThenCode({ email: providerEmail }, secret);

    // Assess
    expect(path).toBe('/mfa');
    expect(refreshCookie).toBeUndefined();
    expect(verified.status).toBe(200);
    expect(((await verified.json()) as { user: { id: string } }).user.id).toBe(user.userId);
  });

  it('turns on for an account made through a provider (step-up by its recent sign-in), then the provider sign-in asks for the code', async () => {
    // Prepare: an account without a password, signed in through the provider a moment ago
    const person = { email: uniqueEmail('fed-mfa-nopw') };
    const session = await sessionOf(await continueWithProvider(person));
    expect((await methodsOf(session.accessToken)).password).toBe(false);
    const enrolled = await postJson('/auth/mfa/totp/enroll', {}, bearer(session.accessToken));
    expect(enrolled.status).toBe(200);
    const { secret } = (await enrolled.json()) as { secret: string };
    const confirmed = await postJson('/auth/mfa/totp/confirm', { code: codeAt(secret, Date.now()) }, bearer(session.accessToken));
    expect(confirmed.status).toBe(200);

    // Act
    const { path, refreshCookie, verified } = await providerThenCode(person, secret);

    // Assess
    expect(path).toBe('/mfa');
    expect(refreshCookie).toBeUndefined();
    expect(verified.status).toBe(200);
    expect(((await verified.json()) as { user: { id: string } }).user.id).toBe(session.userId);
  });
});

describe('a disabled account', () => {
  it('is refused through its identity as through its password', async () => {
    // Prepare
    const email = uniqueEmail('fed-disabled');
    const { userId } = await sessionOf(await continueWithProvider({ email }));
    const credentials = { accessKeyId: stack.admin.accessKeyId, secretAccessKey: stack.admin.secretAccessKey };
    const disabled = await signedFetch(stack.apiUrl, { method: 'POST', path: `/admin/users/${userId}/disable` }, credentials, stack.admin.region);
    expect(disabled.status).toBe(204);

    // Act
    const reply = await continueWithProvider({ email });

    // Assess
    expect(landing(reply).fragment.get('error')).toBe('account_disabled');
    expect(refreshCookieOf(reply)?.value || undefined).toBeUndefined();
  });
});

describe('deleting an account', () => {
  it('deletes its identities: the identity signs up afresh', async () => {
    // Prepare
    const email = uniqueEmail('fed-deleted');
    const first = await sessionOf(await continueWithProvider({ email }));
    await reset(await resetLink(email), PASSWORD);
    const session = await login(email, PASSWORD);
    const deleted = await api('/me', { method: 'DELETE', headers: { 'Content-Type': 'application/json', ...bearer(session.accessToken) }, body: JSON.stringify({ password: PASSWORD }) });
    expect(deleted.status).toBe(204);

    // Act
    const again = await sessionOf(await continueWithProvider({ email }));

    // Assess
    expect(again.userId).not.toBe(first.userId);
  });
});
