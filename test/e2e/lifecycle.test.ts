import { mkdir } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mailLinkFor, sidewaysOverflow, textOf, untilEmpty, untilText } from './browser';
import { password as firstPassword, logOut, newEmail, openSignedOut, signUp, submitLogin, useDevices } from './fixture';

/**
 * The account lifecycle as a person goes through it on the demo page, in Chromium, driven only
 * through the data-testid hooks: forgot/reset, change password, change email, delete, the session
 * list. Every test signs up its own account through the mailed link. Each "device" is a browser
 * context (its own cookie jar).
 */
const secondPassword = 'tr0ub4dor and three more words';

const device = useDevices();

async function logIn(context: BrowserContext, login: string, password: string): Promise<Page> {
  const page = await openSignedOut(context);
  await submitLogin(page, login, password);
  return page;
}

/** From the signed-out view: "Forgot your password?", the address sent; the link mailed for it. */
async function resetLinkFor(page: Page, email: string): Promise<string> {
  await page.getByText('Forgot your password?').click();
  await page.getByTestId('forgot-email').fill(email);
  await page.getByTestId('forgot-submit').click();
  await untilText(page, 'status', `If ${email} has an account`);
  return mailLinkFor(email, '/reset-password');
}

/** One account, signed up on a laptop and logged in on a phone. */
async function signedInOnTwoDevices(): Promise<{ email: string; laptop: Page; phone: Page }> {
  const email = newEmail('life');
  const laptop = await signUp(await device(), email);
  const phone = await logIn(await device({ width: 390, height: 844 }), email, firstPassword);
  await untilText(phone, 'me', email);
  return { email, laptop, phone };
}

/** Waits until the device learns its session is over (at its next refresh, within a token lifetime). */
async function untilSignedOut(page: Page): Promise<void> {
  await untilText(page, 'status', 'Your session has ended');
  expect(await textOf(page, 'me')).toBe('');
}

describe('account lifecycle in Chromium', () => {
  it('forgot password: the mailed link sets a new password, signs nobody in, and the new password logs in', async () => {
    // Prepare
    const email = newEmail('life');
    const laptop = await device();
    const page = await signUp(laptop, email);
    await logOut(page);

    // Act
    await page.goto(await resetLinkFor(page, email));
    await page.getByTestId('reset-password').fill(secondPassword);
    await page.getByTestId('reset-submit').click();

    // Assess
    await untilText(page, 'status', 'Your password has been changed');
    expect(await textOf(page, 'me')).toBe('');
    expect(page.url()).not.toContain('token=');
    const withOld = await logIn(laptop, email, firstPassword);
    await untilText(withOld, 'status', 'That email, username or password is not right.');
    const withNew = await logIn(laptop, email, secondPassword);
    await untilText(withNew, 'me', email);
  });

  it('a used reset link says so and offers a new one instead of the form', async () => {
    // Prepare
    const email = newEmail('life');
    const laptop = await device();
    const page = await signUp(laptop, email);
    await logOut(page);
    const link = await resetLinkFor(page, email);
    await page.goto(link);
    await page.getByTestId('reset-password').fill(secondPassword);
    await page.getByTestId('reset-submit').click();
    await untilText(page, 'status', 'Your password has been changed');

    // Act
    await page.goto(link);
    await page.getByTestId('reset-password').fill('yet another long password');
    await page.getByTestId('reset-submit').click();

    // Assess
    await untilText(page, 'status', 'invalid, expired or already used');
    expect(await page.getByTestId('reset-submit').isVisible()).toBe(false);
  });

  it('changing the password on one device signs out the other and keeps this one', async () => {
    // Prepare
    const { email, laptop, phone } = await signedInOnTwoDevices();

    // Act
    await laptop.getByTestId('nav-password').click();
    await laptop.getByTestId('change-password-current').fill(firstPassword);
    await laptop.getByTestId('change-password-new').fill(secondPassword);
    await laptop.getByTestId('change-password-submit').click();

    // Assess
    await untilText(laptop, 'status', 'Password changed');
    await untilEmpty(laptop, 'change-password-current');
    await untilEmpty(laptop, 'change-password-new');
    await untilSignedOut(phone);
    await laptop.getByTestId('nav-profile').click();
    await laptop.getByTestId('whoami').click();
    await untilText(laptop, 'status', `You are signed in as ${email}`);
  });

  it('the security activity section tells the sign-in and then the password change, in sentences', async () => {
    // Prepare
    const { phone } = await signedInOnTwoDevices();
    await phone.getByTestId('nav-activity').click();
    await untilText(phone, 'security-events', /Signed in from .+ \(new device\)/);

    // Act
    await phone.getByTestId('nav-password').click();
    await phone.getByTestId('change-password-current').fill(firstPassword);
    await phone.getByTestId('change-password-new').fill(secondPassword);
    await phone.getByTestId('change-password-submit').click();

    // Assess
    await untilText(phone, 'status', 'Password changed');
    await phone.getByTestId('nav-activity').click();
    await untilText(phone, 'security-events', /^Password changed/);
    expect(await phone.getByTestId('security-event').count()).toBe(2);
  });

  it('a wrong current password is refused with a sentence and never signs the user out', async () => {
    // Prepare
    const email = newEmail('life');
    const laptop = await signUp(await device(), email);

    // Act
    await laptop.getByTestId('nav-password').click();
    await laptop.getByTestId('change-password-current').fill('not my password at all');
    await laptop.getByTestId('change-password-new').fill(secondPassword);
    await laptop.getByTestId('change-password-submit').click();

    // Assess
    await untilText(laptop, 'status', 'Your password is not right.');
    expect(await textOf(laptop, 'me')).toBe(email);
    await untilEmpty(laptop, 'change-password-current');
    await laptop.getByTestId('nav-profile').click();
    await laptop.getByTestId('whoami').click();
    await untilText(laptop, 'status', `You are signed in as ${email}`);
  });

  it('a weak new password gets a sentence a person understands', async () => {
    // Prepare
    const email = newEmail('life');
    const laptop = await signUp(await device(), email);

    // Act
    await laptop.getByTestId('nav-password').click();
    await laptop.getByTestId('change-password-current').fill(firstPassword);
    await laptop.getByTestId('change-password-new').fill('password');
    await laptop.getByTestId('change-password-submit').click();

    // Assess
    await untilText(laptop, 'status', 'That password is too common — pick another.');
    expect(await textOf(laptop, 'status')).not.toContain('validation_failed');
  });

  it('changing the email: the link mailed to the new address switches the account to it', async () => {
    // Prepare
    const email = newEmail('life');
    const changed = newEmail('life');
    const laptop = await signUp(await device(), email);

    // Act
    await laptop.getByTestId('change-email-new').fill(changed);
    await laptop.getByTestId('change-email-password').fill(firstPassword);
    await laptop.getByTestId('change-email-submit').click();
    await untilText(laptop, 'status', `Check ${changed}`);
    expect(await textOf(laptop, 'me')).toBe(email);
    await laptop.goto(await mailLinkFor(changed, '/confirm-email'));
    await untilText(laptop, 'status', 'Confirm');
    await laptop.getByTestId('confirm-email-submit').click();

    // Assess
    await untilText(laptop, 'status', `Your email is now ${changed}`);
    await untilText(laptop, 'me', changed);
    const elsewhere = await logIn(await device(), changed, firstPassword);
    await untilText(elsewhere, 'me', changed);
    const withOldAddress = await logIn(await device(), email, firstPassword);
    await untilText(withOldAddress, 'status', 'That email, username or password is not right.');
  });

  it('deleting the account signs out every device and frees the address for a new sign-up', async () => {
    // Prepare
    const { email, laptop, phone } = await signedInOnTwoDevices();

    // Act
    await laptop.getByTestId('nav-danger-zone').click();
    await laptop.getByTestId('delete-password').fill(firstPassword);
    await laptop.getByTestId('delete-submit').click();

    // Assess
    await untilText(laptop, 'status', 'Your account has been deleted');
    expect(await textOf(laptop, 'me')).toBe('');
    await untilSignedOut(phone);
    const again = await logIn(await device(), email, firstPassword);
    await untilText(again, 'status', 'That email, username or password is not right.');
    const signedUpAgain = await signUp(await device(), email, secondPassword);
    expect(await textOf(signedUpAgain, 'me')).toBe(email);
  });

  it('the session list shows both devices; revoking the other one ends it, revoking this one signs out here', async () => {
    // Prepare
    const { email, laptop, phone } = await signedInOnTwoDevices();
    await laptop.reload();
    await untilText(laptop, 'me', email);
    const rows = laptop.getByTestId('session-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);

    // Act
    await laptop.getByTestId('nav-sessions').click();
    expect(await laptop.locator('[data-testid="session-row"][data-current="true"]').count()).toBe(1);
    await laptop.locator('[data-testid="session-row"][data-current="false"]').getByTestId('session-revoke').click();

    // Assess
    await untilSignedOut(phone);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    await laptop.locator('[data-testid="session-row"][data-current="true"]').getByTestId('session-revoke').click();
    await untilText(laptop, 'status', 'Signed out.');
    expect(await textOf(laptop, 'me')).toBe('');
    await laptop.reload();
    await untilText(laptop, 'status', 'Signed out. Sign up or log in.');
  });

  it.each([
    ['desktop', { width: 1280, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const)('the signed-out view and every account section fit a %s screen without sideways scrolling', async (name, viewport) => {
    // Prepare
    const email = newEmail('life');
    const context = await device(viewport);
    const signedOut = await openSignedOut(context);
    const sections = {
      profile: ['change-email-submit', 'logout'],
      password: ['change-password-submit'],
      sessions: ['logout-all', 'session-revoke'],
      'danger-zone': ['delete-submit'],
    };

    // Act
    await mkdir('test-results/e2e', { recursive: true });
    const signedOutOverflow = await sidewaysOverflow(signedOut);
    await signedOut.screenshot({ path: `test-results/e2e/signed-out-${name}.png`, fullPage: true });
    const signedIn = await signUp(context, email);
    await expect.poll(() => signedIn.getByTestId('session-row').count(), { timeout: 15_000 }).toBe(1);
    const shown: Record<string, { overflow: number; visible: boolean[] }> = {};
    for (const [section, testIds] of Object.entries(sections)) {
      await signedIn.getByTestId(`nav-${section}`).click();
      await signedIn.screenshot({ path: `test-results/e2e/signed-in-${section}-${name}.png`, fullPage: true });
      shown[section] = { overflow: await sidewaysOverflow(signedIn), visible: await Promise.all(testIds.map((testId) => signedIn.getByTestId(testId).isVisible())) };
    }

    // Assess
    expect(signedOutOverflow).toBeLessThanOrEqual(0);
    for (const [section, testIds] of Object.entries(sections)) {
      expect(shown[section]!.overflow, section).toBeLessThanOrEqual(0);
      expect(shown[section]!.visible, section).toEqual(testIds.map(() => true));
    }
    expect(await signedIn.getByTestId('register-submit').isVisible()).toBe(false);
  });
});
