import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { CHROMIUM } from './global-setup';

/**
 * Helpers for driving the demo page in Debian's Chromium (never a downloaded browser). Each
 * browser context is one "device": its own cookie jar and localStorage, tabs sharing them.
 */
export const stack = inject('e2eStack');

/** The flags the machine needs: no sandbox as root, and no background calls to Google's hosts. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a device's tabs did on the network and logged, for the assertions. */
export interface DeviceLog {
  /** Console errors and uncaught page errors, as text. */
  errors: string[];
  /** Status codes of the device's /auth/refresh replies, in order. */
  refreshStatuses: number[];
  /** Bearer tokens sent to /me, in order. */
  meTokens: string[];
}

export async function openDevice(browser: Browser): Promise<{ context: BrowserContext; log: DeviceLog }> {
  const context = await browser.newContext();
  const log: DeviceLog = { errors: [], refreshStatuses: [], meTokens: [] };
  context.on('console', (message) => {
    if (message.type() === 'error') log.errors.push(message.text());
  });
  context.on('weberror', (error) => log.errors.push(String(error.error())));
  context.on('response', (response) => {
    if (new URL(response.url()).pathname === '/auth/refresh') log.refreshStatuses.push(response.status());
  });
  context.on('request', (request) => {
    if (new URL(request.url()).pathname !== '/me') return;
    const authorization = request.headers()['authorization'];
    if (authorization) log.meTokens.push(authorization.replace(/^Bearer /, ''));
  });
  return { context, log };
}

export async function openDemo(context: BrowserContext, path = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${stack.apiUrl}${path}`);
  return page;
}

export function textOf(page: Page, testId: string): Promise<string> {
  return page.getByTestId(testId).innerText();
}

/** Waits (up to 15 s) until the element with this data-testid shows the text. */
export async function untilText(page: Page, testId: string, expected: string | RegExp): Promise<void> {
  const matcher = typeof expected === 'string' ? expect.stringContaining(expected) : expect.stringMatching(expected);
  await expect.poll(() => textOf(page, testId), { timeout: 15_000, interval: 100 }).toEqual(matcher);
}

/** Waits until an input has been emptied (the demo clears password fields once a form's request is done). */
export async function untilEmpty(page: Page, testId: string): Promise<void> {
  await expect.poll(() => page.getByTestId(testId).inputValue(), { timeout: 15_000, interval: 100 }).toBe('');
}

/** Saves a screenshot of every open tab under test-results/e2e/ (git-ignored). */
export async function screenshotAll(contexts: BrowserContext[], testName: string): Promise<void> {
  await mkdir('test-results/e2e', { recursive: true });
  const slug = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 80);
  const pages = contexts.flatMap((context) => context.pages());
  await Promise.all(
    pages.map((page, index) => page.screenshot({ path: `test-results/e2e/${slug}-${index + 1}.png`, fullPage: true }).catch(() => {})),
  );
}

export interface StoredMail {
  subject: string;
  destination: { to: string[] };
  body: { text?: string; html?: string };
}

/**
 * The newest link to `path` (e.g. '/verify', '/reset-password', '/confirm-email') in a mail to
 * `email` in the local mail store, waiting (polling, up to 15 s) for the mail to arrive. With
 * `after`, only a link that is not among those already seen.
 */
export async function mailLinkFor(email: string, path: string, after: string[] = []): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      async () => {
        link = (await mailLinksFor(email, path)).filter((found) => !after.includes(found)).at(-1);
        return link;
      },
      { timeout: 15_000, interval: 200 },
    )
    .toBeDefined();
  return link!;
}

function mailLinkPattern(path: string): RegExp {
  return new RegExp(`https?://\\S+${path}\\?token=[A-Za-z0-9_.~%-]+`);
}

/** Every link to `path` in the mails to `email` so far, oldest first. */
export async function mailLinksFor(email: string, path: string): Promise<string[]> {
  const { emails } = (await (await fetch(`${stack.mailUrl}/store`)).json()) as { emails: StoredMail[] };
  return emails
    .filter((mail) => mail.destination.to.includes(email))
    .map((mail) => mail.body.text?.match(mailLinkPattern(path))?.[0])
    .filter((found): found is string => found !== undefined);
}

/** Lets the wall clock pass (the access token's lifetime); not an assertion on timing. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
