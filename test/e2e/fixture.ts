import { randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { launchChromium, mailLinkFor, mailLinksFor, openDemo, screenshotAll, untilText } from './browser';

/**
 * What the e2e test files set up alike, beside driving the browser (browser.ts): one Chromium per
 * file, each test's devices, and the steps a person takes with an account on the sign-in pages
 * (sign up through the mailed link, log in, log out, read the authenticator app).
 */

/** The password the test accounts are made with. */
export const password = 'correct horse battery staple';

/** A new address for each account, labelled by what it is for, so no two tests share an account. */
export function newEmail(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

/** Launches Chromium before the file's tests and closes it after them; call at the top of the file. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is launched in beforeAll: use it inside hooks and tests');
    return browser;
  };
}

export type Viewport = { width: number; height: number };
const desktop: Viewport = { width: 1280, height: 900 };

/**
 * useChromium, and a new device for a test each time the returned function is called: a browser
 * context (its own cookie jar and storage) with a desktop screen unless told. A test's devices are
 * closed when the next test starts, so that a failed test's screenshots (taken in onTestFailed,
 * under test-results/e2e/) still find its pages open.
 */
export function useDevices(): (viewport?: Viewport) => Promise<BrowserContext> {
  const chromium = useChromium();
  let contexts: BrowserContext[] = [];
  beforeEach(async ({ task, onTestFailed }) => {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
    contexts = [];
    onTestFailed(() => screenshotAll(contexts, task.name));
  });
  return async (viewport = desktop) => {
    const context = await chromium().newContext({ viewport });
    contexts.push(context);
    return context;
  };
}

/** A new tab of the device on the demo page, once it shows the signed-out view. */
export async function openSignedOut(context: BrowserContext, path = '/'): Promise<Page> {
  const page = await openDemo(context, path);
  await untilText(page, 'status', 'Signed out');
  return page;
}

/** Sign-up through the page: the email, the link mailed for it (none mailed before), the password chosen on the verify page; signed in. */
export async function signUp(context: BrowserContext, email: string, chosenPassword = password): Promise<Page> {
  const earlierLinks = await mailLinksFor(email, '/verify');
  const page = await openSignedOut(context);
  await page.getByTestId('switch-sign-up').click();
  await page.getByTestId('register-email').fill(email);
  await page.getByTestId('register-submit').click();
  await untilText(page, 'status', `Check ${email}`);
  await page.goto(await mailLinkFor(email, '/verify', earlierLinks));
  await page.getByTestId('verify-password').fill(chosenPassword);
  await page.getByTestId('verify-submit').click();
  await untilText(page, 'me', email);
  return page;
}

/** The sign-in form filled and sent; what follows (signed in, a second step, a refusal) is the caller's to wait for. */
export async function submitLogin(page: Page, login: string, loginPassword = password): Promise<void> {
  await page.getByTestId('login-email').fill(login);
  await page.getByTestId('login-password').fill(loginPassword);
  await page.getByTestId('login-submit').click();
}

export async function logOut(page: Page): Promise<void> {
  await page.getByTestId('logout').click();
  await untilText(page, 'status', 'Signed out.');
}

/** The authenticator app's code for the time step `stepsAhead` from now (each step is accepted once per user). */
export function totpCode(secret: string, stepsAhead = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}
