import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, mailLinkFor, openDemo, screenshotAll, untilText } from './browser';

/**
 * Passkeys and email sign-in as a person uses them on the sign-in pages, in Chromium with a CDP
 * virtual authenticator (CTAP2, internal transport, resident keys, user verification): the
 * browser's own WebAuthn runs, nothing is mocked.
 */
const password = 'correct horse battery staple';
const email = `passkey-${randomUUID().slice(0, 8)}@example.com`;

let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
});

describe('passkeys and email sign-in on the sign-in pages', () => {
  it('adds a passkey on the account view, signs in with it after signing out, deletes it, then signs in by an email link', async ({ task, onTestFailed }) => {
    onTestFailed(() => screenshotAll([context], task.name));

    // Prepare: sign up through the mailed link, with a platform authenticator in the browser
    const page = await openDemo(context);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await untilText(page, 'status', 'Signed out');
    await page.getByTestId('switch-sign-up').click();
    await page.getByTestId('register-email').fill(email);
    await page.getByTestId('register-submit').click();
    await untilText(page, 'status', `Check ${email}`);
    await page.goto(await mailLinkFor(email, '/verify'));
    await page.getByTestId('verify-password').fill(password);
    await page.getByTestId('verify-submit').click();
    await untilText(page, 'me', email);

    // Act: add a passkey
    await page.getByTestId('nav-sign-in-methods').click();
    await page.getByTestId('passkey-name').fill('This laptop');
    await page.getByTestId('passkey-password').fill(password);
    await page.getByTestId('passkey-add').click();
    await untilText(page, 'status', 'Passkey added.');
    await expect.poll(() => page.getByTestId('passkey-item').count()).toBe(1);

    // Act: sign out, sign in with the passkey button
    await page.getByTestId('logout').click();
    await untilText(page, 'status', 'Signed out.');
    await page.getByTestId('passkey-signin').click();
    await untilText(page, 'me', email);

    // Act: delete it (step-up with the password)
    await page.getByTestId('nav-sign-in-methods').click();
    await page.getByTestId('passkey-password').fill(password);
    await page.getByTestId('passkey-delete').click();
    await untilText(page, 'status', 'Passkey removed.');
    await expect.poll(() => page.getByTestId('passkey-item').count()).toBe(0);

    // Act: sign out, sign in by the mailed link, which asks before it signs in
    await page.getByTestId('logout').click();
    await untilText(page, 'status', 'Signed out.');
    await page.getByTestId('email-signin-email').fill(email);
    await page.getByTestId('email-signin-submit').click();
    await page.goto(await mailLinkFor(email, '/email-signin'));
    await page.getByTestId('email-signin-confirm').click();

    // Assess
    await untilText(page, 'me', email);
  });
});
