import { randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, mailLinkFor, openDemo, screenshotAll, textOf, untilText } from './browser';

/**
 * Two-factor authentication as a person goes through it on the sign-in pages, in Chromium: the test
 * plays the authenticator app, computing codes from the key the page shows (otpauth, as an
 * independent client would).
 */
const password = 'correct horse battery staple';
const email = `mfa-${randomUUID().slice(0, 8)}@example.com`;

let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
});

/** The authenticator app's code for the time step `stepsAhead` from now (each step is accepted once per user). */
function codeFor(secret: string, stepsAhead = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

async function logIn(page: Page, secondFactor: string): Promise<void> {
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-mfa-code').waitFor({ state: 'visible' });
  await page.getByTestId('login-mfa-code').fill(secondFactor);
  await page.getByTestId('login-mfa-submit').click();
  await untilText(page, 'me', email);
}

/**
 * What the two-factor state shows, section by section: the set-up form while off; while on the
 * buttons to new recovery codes and to turning it off, and the code fields of the password,
 * email and delete forms.
 */
const formsWhile = (state: 'off' | 'on') => ({
  enroll: state === 'off',
  regenerate: state === 'on',
  disable: state === 'on',
  codeFields: [state === 'on', state === 'on', state === 'on'],
});

async function visibleForms(page: Page) {
  const visible = (testId: string) => page.getByTestId(testId).isVisible();
  const inSection = async (section: string, testId: string) => {
    await page.getByTestId(`nav-${section}`).click();
    return visible(testId);
  };
  const codeFields = [await inSection('password', 'change-password-code'), await inSection('profile', 'change-email-code'), await inSection('danger-zone', 'delete-code')];
  await page.getByTestId('nav-two-factor').click();
  return {
    enroll: await visible('mfa-enroll-submit'),
    regenerate: await visible('mfa-regenerate-open'),
    disable: await visible('mfa-disable-open'),
    codeFields,
  };
}

/** Waits (up to 15 s) until the page shows the forms of this two-factor state, and only those; ends on the two-factor section. */
async function untilFormsWhile(page: Page, state: 'off' | 'on'): Promise<void> {
  await expect.poll(() => visibleForms(page), { timeout: 15_000, interval: 100 }).toEqual(formsWhile(state));
}

async function logOut(page: Page): Promise<void> {
  await page.getByTestId('logout').click();
  await untilText(page, 'status', 'Signed out.');
}

describe('two-factor authentication on the sign-in pages', () => {
  it('is enrolled from the shown key, then asked at login for a code or a recovery code, then turned off, each time showing only the forms that apply', async ({ task, onTestFailed }) => {
    onTestFailed(() => screenshotAll([context], task.name));

    // Prepare: sign up through the mailed link
    const page = await openDemo(context);
    await untilText(page, 'status', 'Signed out');
    await page.getByTestId('switch-sign-up').click();
    await page.getByTestId('register-email').fill(email);
    await page.getByTestId('register-submit').click();
    await untilText(page, 'status', `Check ${email}`);
    await page.goto(await mailLinkFor(email, '/verify'));
    await page.getByTestId('verify-password').fill(password);
    await page.getByTestId('verify-submit').click();
    await untilText(page, 'me', email);
    await untilFormsWhile(page, 'off');

    // Enroll: read the key, answer with the app's current code, keep the recovery codes
    await page.getByTestId('mfa-enroll-password').fill(password);
    await page.getByTestId('mfa-enroll-submit').click();
    await untilText(page, 'mfa-secret', /^[A-Z2-7]{32}$/);
    const secret = await textOf(page, 'mfa-secret');
    expect(await page.locator('#mfa-qr svg').count()).toBe(1);
    await page.getByTestId('mfa-confirm-code').fill(codeFor(secret));
    await page.getByTestId('mfa-confirm-submit').click();
    await untilText(page, 'status', 'Two-factor authentication is on');
    expect(await page.getByTestId('mfa-recovery-codes').isVisible()).toBe(true);
    await untilFormsWhile(page, 'on');
    const recoveryCodes = (await textOf(page, 'mfa-recovery-codes')).split('\n').map((line) => line.trim());
    expect(recoveryCodes).toHaveLength(10);

    // A login now needs the second step: first with a code (the next step: the current one was used to confirm)
    await logOut(page);
    await logIn(page, codeFor(secret, 1));

    // Then with a recovery code
    await logOut(page);
    await logIn(page, recoveryCodes[0]!);
    await untilFormsWhile(page, 'on');

    // Turn it off with the password and another recovery code; the password alone signs in again
    await page.getByTestId('mfa-disable-open').click();
    await page.getByTestId('mfa-disable-password').fill(password);
    await page.getByTestId('mfa-disable-code').fill(recoveryCodes[1]!);
    await page.getByTestId('mfa-disable-submit').click();
    await untilText(page, 'status', 'Two-factor authentication is off.');
    await untilFormsWhile(page, 'off');
    await logOut(page);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await untilText(page, 'me', email);
    expect(await page.getByTestId('login-mfa-code').isVisible()).toBe(false);
    await untilFormsWhile(page, 'off');
  });
});
