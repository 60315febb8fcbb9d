import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, mailLinkFor, mailLinksFor, openDemo, screenshotAll, untilText } from './browser';

/**
 * Sign-in with the local OpenID provider on the demo page, in Chromium, through the data-testid
 * hooks only: the "Continue with" button, the provider's own page (idp-email, idp-submit), back
 * signed in; connecting and disconnecting a provider from the account's sign-in methods.
 */
const password = 'correct horse battery staple';

let browser: Browser;
let contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async ({ task, onTestFailed }) => {
  await Promise.all(contexts.map((context) => context.close().catch(() => {})));
  contexts = [];
  onTestFailed(() => screenshotAll(contexts, task.name));
});

async function device(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return context;
}

const newEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

/** The provider's sign-in page: an address typed, "verified" left checked, submitted. */
async function atProvider(page: Page, email: string): Promise<void> {
  await page.getByTestId('idp-email').waitFor();
  await page.getByTestId('idp-email').fill(email);
  await expect(page.getByTestId('idp-email-verified').isChecked()).resolves.toBe(true);
  await page.getByTestId('idp-submit').click();
}

async function signUp(context: BrowserContext, email: string): Promise<Page> {
  const earlier = await mailLinksFor(email, '/verify');
  const page = await openDemo(context);
  await untilText(page, 'status', 'Signed out');
  await page.getByTestId('switch-sign-up').click();
  await page.getByTestId('register-email').fill(email);
  await page.getByTestId('register-submit').click();
  await untilText(page, 'status', `Check ${email}`);
  await page.goto(await mailLinkFor(email, '/verify', earlier));
  await page.getByTestId('verify-password').fill(password);
  await page.getByTestId('verify-submit').click();
  await untilText(page, 'me', email);
  return page;
}

describe('signing in with a provider', () => {
  it('goes from "Continue with Local" to the provider’s page and back signed in, with the identity listed', async () => {
    // Prepare
    const email = newEmail('e2e-fed');
    const page = await openDemo(await device());
    await untilText(page, 'status', 'Signed out');

    // Act
    await page.getByTestId('oauth-local').click();
    await atProvider(page, email);

    // Assess
    await untilText(page, 'me', email);
    await page.getByTestId('nav-sign-in-methods').click();
    await untilText(page, 'identity-local', email);
    expect(new URL(page.url()).search).toBe('');
  });

  it('says in the status line when the provider does not vouch for the address', async () => {
    // Prepare
    const page = await openDemo(await device());
    await untilText(page, 'status', 'Signed out');

    // Act
    await page.getByTestId('oauth-local').click();
    await page.getByTestId('idp-email').waitFor();
    await page.getByTestId('idp-email').fill(newEmail('e2e-unverified'));
    await page.getByTestId('idp-email-verified').uncheck();
    await page.getByTestId('idp-submit').click();

    // Assess
    await untilText(page, 'status', 'did not confirm your email address');
  });
});

describe('an address that already has an account', () => {
  it('is asked by mail first: the link page asks before it connects, then signs in', async () => {
    // Prepare
    const email = newEmail('e2e-existing');
    await signUp(await device(), email);
    const earlier = await mailLinksFor(email, '/link-identity');
    const page = await openDemo(await device());
    await untilText(page, 'status', 'Signed out');

    // Act
    await page.getByTestId('oauth-local').click();
    await atProvider(page, email);
    await untilText(page, 'status', 'We mailed it a link');
    await page.goto(await mailLinkFor(email, '/link-identity', earlier));
    await untilText(page, 'status', 'Press the button');
    await page.getByTestId('link-confirm').click();

    // Assess
    await untilText(page, 'me', email);
    await page.getByTestId('nav-sign-in-methods').click();
    await untilText(page, 'identity-local', email);
  });
});

describe('connecting a provider from the account', () => {
  it('connects after the password, lists it, and disconnects it again', async () => {
    // Prepare
    const email = newEmail('e2e-link');
    const page = await signUp(await device(), email);
    await page.getByTestId('nav-sign-in-methods').click();

    // Act: connect
    await page.getByTestId('passkey-password').fill(password);
    await page.getByTestId('link-local').click();
    await atProvider(page, newEmail('e2e-link-elsewhere'));

    // Assess
    await untilText(page, 'me', email);
    await page.getByTestId('identity-local').waitFor();

    // Act: disconnect
    await page.getByTestId('passkey-password').fill(password);
    await page.getByTestId('unlink-local').click();

    // Assess
    await untilText(page, 'status', 'Local is disconnected');
    await expect(page.getByTestId('identity-local').count()).resolves.toBe(0);
    await page.getByTestId('link-local').waitFor();
  });
});
