import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect, inject } from 'vitest';
import { codeAt } from '../../shared/auth/totp';
import { assertDeclaredResponse } from './contract';
import type { LocalStackUrls } from '../../infra/local/stack';

/**
 * Helpers for driving the local stack over HTTP the way a client would. Node's fetch keeps no
 * cookies, so the refresh cookie is read from Set-Cookie and sent back by hand.
 */
export const stack = inject('integrationStack');
/** An origin on the allowlist (the stack allows its own URL), as a browser on the demo page sends. */
export const allowedOrigin = stack.apiUrl;
export const foreignOrigin = 'https://evil.example';

export const PASSWORD = 'correct horse battery staple';
export const REFRESH_COOKIE = 'refresh_token';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

/** Every call of the tests goes through here, and every reply is checked against the OpenAPI document. */
export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${stack.apiUrl}${path}`, init);
  await assertDeclaredResponse(init.method ?? 'GET', path, response.clone());
  return response;
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

export const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });
export const withCookie = (refreshToken: string) => ({ Cookie: `${REFRESH_COOKIE}=${refreshToken}` });

export interface RefreshCookie {
  value: string;
  attributes: Map<string, string>;
}

/** The refresh_token Set-Cookie of a reply, parsed. */
export function refreshCookieOf(response: Response): RefreshCookie | undefined {
  return setCookieOf(response, REFRESH_COOKIE);
}

/** A Set-Cookie of a reply by name, parsed. */
export function setCookieOf(response: Response, name: string): RefreshCookie | undefined {
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  if (!header) return undefined;
  const [pair, ...attributes] = header.split(';').map((part) => part.trim());
  return {
    value: pair!.slice(name.length + 1),
    attributes: new Map(attributes.map((a) => {
      const eq = a.indexOf('=');
      return eq === -1 ? [a.toLowerCase(), ''] : [a.slice(0, eq).toLowerCase(), a.slice(eq + 1)];
    })),
  };
}

/** Asserts an RFC 9457 problem reply with this status and code; returns its body. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  return body;
}

export interface StoredMail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** Mails to one address, oldest first, from aws-ses-v2-local's GET /store. */
export async function mailsTo(email: string): Promise<StoredMail[]> {
  const response = await fetch(`${stack.mailUrl}/store`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails.filter((mail) => mail.destination.to.includes(email));
}

const linkPattern = /\/verify\?token=([A-Za-z0-9_.~-]+)/;
const MAIL_DEADLINE_MS = 10_000;

/** Polls the mail store until `email` has received at least `count` mails, or fails at the deadline. */
export async function waitForMails(email: string, count = 1): Promise<StoredMail[]> {
  const deadline = Date.now() + MAIL_DEADLINE_MS;
  for (;;) {
    const mails = await mailsTo(email);
    if (mails.length >= count) return mails;
    if (Date.now() > deadline) throw new Error(`${email} received ${mails.length} of ${count} mails within ${MAIL_DEADLINE_MS / 1000} s`);
    await sleep(50);
  }
}

/** The sign-up link token of a mail, or undefined for a mail without one. */
export function signupTokenOf(mail: StoredMail): string | undefined {
  return linkPattern.exec(mail.body.text ?? '')?.[1];
}

/** Registers `email` and waits for the mail this sign-up causes (the `count`th mail to the address); returns its link token. */
export async function signupLink(email: string, count?: number): Promise<string> {
  const before = count === undefined ? (await mailsTo(email)).length : count - 1;
  expect((await register(email)).status).toBe(202);
  const mail = (await waitForMails(email, before + 1))[before]!;
  const token = signupTokenOf(mail);
  if (!token) throw new Error(`the sign-up mail to ${email} has no link: ${mail.subject}`);
  return token;
}

export function register(email: string): Promise<Response> {
  return postJson('/auth/register', { email });
}

export function verify(token: string, password = PASSWORD, username?: string): Promise<Response> {
  return postJson('/auth/verify', { token, password, ...(username ? { username } : {}) });
}

export interface SignedIn {
  email: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
  /** The device cookie's value: sent back to /auth/login, it keeps this client's own login counter. */
  deviceToken: string | undefined;
}

/** The session a sign-in reply (verify, login, mfa/verify) started for `email`. */
export async function signedIn(email: string, response: Response): Promise<SignedIn> {
  expect(response.status).toBe(200);
  const refreshToken = refreshCookieOf(response)?.value;
  const body = (await response.json()) as { user?: { id: string }; accessToken: string };
  if (!refreshToken) throw new Error('no refresh cookie in the reply');
  return { email, userId: body.user!.id, accessToken: body.accessToken, refreshToken, deviceToken: setCookieOf(response, 'device')?.value };
}

/** A fresh account, signed up through its mailed link with PASSWORD: the first session. */
export async function newVerifiedUser(label = 'user', username?: string): Promise<SignedIn> {
  const email = uniqueEmail(label);
  const token = await signupLink(email);
  return signedIn(email, await verify(token, PASSWORD, username));
}

/** Another session of an existing account. */
export async function login(email: string, password = PASSWORD): Promise<SignedIn> {
  return signedIn(email, await postJson('/auth/login', { email, password }));
}

export function refresh(refreshToken: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return api('/auth/refresh', { method: 'POST', headers: { ...(refreshToken ? withCookie(refreshToken) : {}), ...headers } });
}

export function me(accessToken: string): Promise<Response> {
  return api('/me', { headers: bearer(accessToken) });
}

/** The claims of a JWT, unverified (to learn a session id or forge a variant). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A DynamoDB client on DynamoDB Local, to check what the API left in the table. */
export function tableClient(target: Pick<LocalStackUrls, 'ddbEndpoint' | 'ddbCredentials'> = stack): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: target.ddbEndpoint,
      region: 'us-east-1',
      credentials: target.ddbCredentials,
    }),
  );
}

/**
 * Polls the table until `count` mail intents for `email` exist and the mailer has decided on
 * each (sent, or dropped by a limit: both set sentAt), so "no more mail went out" is an observation.
 */
export async function untilMailerDecided(email: string, count: number, target: Pick<LocalStackUrls, 'ddbEndpoint' | 'ddbCredentials' | 'tableName'> = stack): Promise<void> {
  const table = tableClient(target);
  const deadline = Date.now() + MAIL_DEADLINE_MS;
  for (;;) {
    const { Items = [] } = await table.send(
      new ScanCommand({ TableName: target.tableName, FilterExpression: 'begins_with(pk, :mail) AND email = :email', ExpressionAttributeValues: { ':mail': 'MAIL#', ':email': email } }),
    );
    const decided = Items.filter((item) => item.sentAt !== undefined).length;
    if (Items.length >= count && decided === Items.length) return;
    if (Date.now() > deadline) throw new Error(`the mailer decided on ${decided} of ${count} intents for ${email} within ${MAIL_DEADLINE_MS / 1000} s`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The account lifecycle's requests and mailed links (docs/api.md#account-lifecycle). */
export const NEW_PASSWORD = 'a brand new passphrase';
export function linkTokenOf(mail: StoredMail, path: '/reset-password' | '/confirm-email'): string | undefined {
  return new RegExp(`${path}\\?token=([A-Za-z0-9_.~-]+)`).exec(mail.body.text ?? '')?.[1];
}

/** Asks for something that mails `email` a link, and waits for that mail: its token. */
export async function mailedLink(email: string, path: '/reset-password' | '/confirm-email', ask: () => Promise<Response>): Promise<string> {
  const before = (await mailsTo(email)).length;
  expect((await ask()).status).toBe(202);
  const mail = (await waitForMails(email, before + 1))[before]!;
  const token = linkTokenOf(mail, path);
  if (!token) throw new Error(`the mail to ${email} has no ${path} link: ${mail.subject}`);
  return token;
}

export const forgot = (email: string) => postJson('/auth/password/forgot', { email });
export const reset = (token: string, password = NEW_PASSWORD) => postJson('/auth/password/reset', { token, password });
export const resetLink = (email: string) => mailedLink(email, '/reset-password', () => forgot(email));
export const changePassword = (user: SignedIn, currentPassword: string, newPassword = NEW_PASSWORD) =>
  postJson('/auth/password/change', { currentPassword, newPassword }, bearer(user.accessToken));
export const changeEmail = (user: SignedIn, newEmail: string, password = PASSWORD) => postJson('/auth/email/change', { password, newEmail }, bearer(user.accessToken));
export const confirmEmail = (token: string) => postJson('/auth/email/confirm', { token });
export const emailLink = (user: SignedIn, newEmail: string) => mailedLink(newEmail, '/confirm-email', () => changeEmail(user, newEmail));
export const deleteAccount = (user: SignedIn, password = PASSWORD) =>
  api('/me', { method: 'DELETE', headers: { ...bearer(user.accessToken), 'Content-Type': 'application/json', Origin: allowedOrigin }, body: JSON.stringify({ password }) });
export const loginAttempt = (email: string, password: string) => postJson('/auth/login', { email, password });

/** The session of `user` is over: its access token and its refresh cookie are refused. */
export async function expectSessionDead(user: SignedIn): Promise<void> {
  await expectProblem(await me(user.accessToken), 401, 'unauthorized');
  await expectProblem(await refresh(user.refreshToken), 401, 'invalid_refresh_token');
}

export async function expectSessionAlive(user: SignedIn): Promise<void> {
  expect((await me(user.accessToken)).status).toBe(200);
}

/**
 * Locks the identifier of `body` for at least `seconds`, as an attacker would: a burst of wrong
 * passwords, then one more after each lock as Retry-After says, doubling the lock each time.
 * A long lock keeps the checks that follow independent of how busy the machine is.
 */
export async function lockOut(body: Record<string, string>, seconds = 4): Promise<void> {
  await Promise.all(Array.from({ length: 16 }, (_, i) => postJson('/auth/login', { ...body, password: `wrong password ${i}` })));
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const answer = await postJson('/auth/login', { ...body, password: 'wrong once more' });
    if (answer.status === 429) {
      const retryAfter = Number(answer.headers.get('retry-after'));
      if (retryAfter >= seconds) return;
      await sleep(retryAfter * 1000);
    }
  }
  throw new Error(`the identifier was not locked for ${seconds} s within 30 s`);
}

/** Turns two-factor on for `user` with the current step's code (`body` adds to the confirm); the secret and the recovery codes. */
export async function enableTwoFactor(user: SignedIn, body: { signOutOtherSessions?: boolean } = {}): Promise<{ secret: string; recoveryCodes: string[] }> {
  const enrolled = await postJson('/auth/mfa/totp/enroll', { password: PASSWORD }, bearer(user.accessToken));
  expect(enrolled.status).toBe(200);
  const { secret } = (await enrolled.json()) as { secret: string };
  const confirmed = await postJson('/auth/mfa/totp/confirm', { code: codeAt(secret, Date.now()), ...body }, bearer(user.accessToken));
  expect(confirmed.status).toBe(200);
  const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
  return { secret, recoveryCodes };
}


/**
 * Signs up on a local stack of a test's own (not the shared one): registers, polls its mail store
 * until the link arrives, and verifies with PASSWORD. The verify reply (session, cookies).
 */
export async function signUpOn(own: { apiUrl: string; mailUrl: string }, email: string): Promise<Response> {
  const post = (path: string, body: unknown) =>
    fetch(`${own.apiUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post('/auth/register', { email })).status).toBe(202);
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    const { emails } = (await (await fetch(`${own.mailUrl}/store`)).json()) as { emails: StoredMail[] };
    const token = emails.filter((mail) => mail.destination.to.includes(email)).map((mail) => signupTokenOf(mail)).find(Boolean);
    if (token) return post('/auth/verify', { token, password: PASSWORD });
  }
  throw new Error(`no verification mail for ${email} within 30 s`);
}
