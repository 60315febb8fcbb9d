import { randomUUID } from 'node:crypto';
import { startLocalStack, type LocalStack } from '../infra/local/stack';
import type { KeyEnvironment } from './environment';

/**
 * The local stack (docs/local.md) on free ports, driven over HTTP like a browser would. Its own
 * handlers hash with a cheap argon2id cost: the accounts made through it only need sessions; the
 * password-hashing figures come from the bundles with the production cost.
 */
export const PASSWORD = 'correct horse battery staple';
const REFRESH_COOKIE = 'refresh_token';

/** Every bench client signs up from loopback: one source, so the per-source and global mail caps are lifted. */
export const UNCAPPED_MAIL = { MAIL_PER_SOURCE_PER_HOUR: '100000', MAIL_GLOBAL_PER_HOUR: '100000' };

export async function startBenchStack(keys: KeyEnvironment): Promise<LocalStack> {
  return startLocalStack({ quiet: true, env: { ...keys, ARGON2_MEMORY_KIB: '1024', ARGON2_PASSES: '1', ...UNCAPPED_MAIL } });
}

export const uniqueEmail = (label: string) => `bench-${label}-${randomUUID().slice(0, 8)}@example.com`;

export interface StoredMail {
  destination: { to: string[] };
  body: { text?: string };
}

const linkPattern = /\/verify\?token=([A-Za-z0-9_.~-]+)/;

/** Every mail in aws-ses-v2-local's store (GET /store), oldest first. */
export async function storedMails(mailUrl: string): Promise<StoredMail[]> {
  const { emails } = (await (await fetch(`${mailUrl}/store`)).json()) as { emails: StoredMail[] };
  return emails;
}

/** The sign-up link token a mail carries, if any. */
export const signupTokenOf = (mail: StoredMail): string | undefined => linkPattern.exec(mail.body.text ?? '')?.[1];

/**
 * The token of the newest verification link mailed to `email`, from aws-ses-v2-local's GET /store.
 * The mailer sends from the table's stream, after register has answered: polled with a deadline.
 */
export async function verificationToken(mailUrl: string, email: string, deadlineMs = 30_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const mail = (await storedMails(mailUrl)).filter((m) => m.destination.to.includes(email) && signupTokenOf(m)).at(-1);
    const token = mail && signupTokenOf(mail);
    if (token) return token;
    if (Date.now() - started > deadlineMs) throw new Error(`no verification mail for ${email} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Register through the stack and wait for the mailed link: a token for POST /auth/verify. */
export async function signupToken(stack: Pick<LocalStack, 'apiUrl' | 'mailUrl'>, email: string): Promise<string> {
  await post(`${stack.apiUrl}/auth/register`, { email }, 202);
  return verificationToken(stack.mailUrl, email);
}

export interface Session {
  accessToken: string;
  refreshToken: string;
}

export function refreshCookieOf(response: Response): string {
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${REFRESH_COOKIE}=`));
  if (!header) throw new Error(`no refresh cookie in the reply (${response.status})`);
  return header.slice(REFRESH_COOKIE.length + 1).split(';')[0]!;
}

async function post(url: string, body: unknown, expected: number): Promise<Response> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== expected) throw new Error(`POST ${new URL(url).pathname}: ${response.status} ${await response.text()}`);
  return response;
}

async function session(response: Response): Promise<Session> {
  const { accessToken } = (await response.json()) as { accessToken: string };
  return { accessToken, refreshToken: refreshCookieOf(response) };
}

/** Opens a mailed sign-up link: chooses the password and answers the account's first session. */
export async function openSignupLink(stack: Pick<LocalStack, 'apiUrl'>, token: string): Promise<Session> {
  return session(await post(`${stack.apiUrl}/auth/verify`, { token, password: PASSWORD }, 200));
}

/** Register, open the mailed link, choose the password: the account's first session. */
export async function newVerifiedAccount(stack: Pick<LocalStack, 'apiUrl' | 'mailUrl'>, label: string): Promise<{ email: string; session: Session }> {
  const email = uniqueEmail(label);
  return { email, session: await openSignupLink(stack, await signupToken(stack, email)) };
}

export async function logIn(stack: Pick<LocalStack, 'apiUrl'>, email: string): Promise<Session> {
  return session(await post(`${stack.apiUrl}/auth/login`, { email, password: PASSWORD }, 200));
}

/** POST /auth/refresh with a refresh cookie, as the browser client sends it; the rotated token back. */
export async function refresh(stack: Pick<LocalStack, 'apiUrl'>, refreshToken: string): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/auth/refresh`, { method: 'POST', headers: { Cookie: `${REFRESH_COOKIE}=${refreshToken}` } });
  if (response.status !== 200) throw new Error(`POST /auth/refresh: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return refreshCookieOf(response);
}

/** POST /auth/refresh, answering the whole new session: the access token and the rotated refresh token. */
export async function refreshSession(stack: Pick<LocalStack, 'apiUrl'>, refreshToken: string): Promise<Session> {
  const response = await fetch(`${stack.apiUrl}/auth/refresh`, { method: 'POST', headers: { Cookie: `${REFRESH_COOKIE}=${refreshToken}` } });
  if (response.status !== 200) throw new Error(`POST /auth/refresh: ${response.status} ${await response.text()}`);
  return session(response);
}
