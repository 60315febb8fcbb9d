import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { textOf, untilText } from './browser';
import { logOut, newEmail, password, signUp, submitLogin, totpCode, useDevices } from './fixture';

/**
 * Two-factor authentication as a person goes through it on the sign-in pages, in Chromium: the test
 * plays the authenticator app, computing codes from the key the page shows (otpauth, as an
 * independent client would).
 */
const email = newEmail('mfa');
const device = useDevices();

async function logIn(page: Page, secondFactor: string): Promise<void> {
  await submitLogin(page, email);
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

describe('two-factor authentication on the sign-in pages', () => {
  it('is enrolled from the shown key, then asked at login for a code or a recovery code, then turned off, each time showing only the forms that apply', async () => {
    // Prepare: sign up through the mailed link
    const page = await signUp(await device(), email);
    await untilFormsWhile(page, 'off');

    // Enroll: read the key, answer with the app's current code, keep the recovery codes
    await page.getByTestId('mfa-enroll-password').fill(password);
    await page.getByTestId('mfa-enroll-submit').click();
    await untilText(page, 'mfa-secret', /^[A-Z2-7]{32}$/);
    const secret = await textOf(page, 'mfa-secret');
    expect(await page.locator('#mfa-qr svg').count()).toBe(1);
    await page.getByTestId('mfa-confirm-code').fill(totpCode(secret));
    await page.getByTestId('mfa-confirm-submit').click();
    await untilText(page, 'status', 'Two-factor authentication is on');
    expect(await page.getByTestId('mfa-recovery-codes').isVisible()).toBe(true);
    await untilFormsWhile(page, 'on');
    const recoveryCodes = (await textOf(page, 'mfa-recovery-codes')).split('\n').map((line) => line.trim());
    expect(recoveryCodes).toHaveLength(10);

    // A login now needs the second step: first with a code (the next step: the current one was used to confirm)
    await logOut(page);
    await logIn(page, totpCode(secret, 1));

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
    await submitLogin(page, email);
    await untilText(page, 'me', email);
    expect(await page.getByTestId('login-mfa-code').isVisible()).toBe(false);
    await untilFormsWhile(page, 'off');
  });
});
