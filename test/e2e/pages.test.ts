import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  axeViolations,
  focused,
  mailLinkFor,
  screenshotAll,
  sidewaysOverflow,
  stack,
  tabTo,
  textOf,
  untilText,
  watchFormIssues,
} from './browser';
import { logOut, newEmail, openSignedOut, password, signUp, totpCode, useChromium } from './fixture';

/**
 * The sign-in pages as an accessibility audit sees them: every view and state (signed out,
 * sign-up sent, verify, each account section, the two-factor steps, error states) checked by
 * axe-core at WCAG 2.2 AA in light and dark mode, at a desktop width and at 320 px (where
 * nothing may scroll sideways); Chromium's form advice ("[DOM]") and CSP refusals on none of
 * them; focus where the pages say it goes; and a keyboard-only sign-up, sign-in and sign-out.
 */
const chromium = useChromium();

/** Waits until the focused element is the one named (data-testid or id). */
async function untilFocused(page: Page, name: string): Promise<void> {
  await expect.poll(() => focused(page), { timeout: 10_000, interval: 50 }).toBe(name);
}

/** Forms in sight that ask for a password: the account shows at most one at a time. */
function visiblePasswordForms(page: Page): Promise<number> {
  return page.locator('form:visible').filter({ has: page.locator('input[type="password"]') }).count();
}

/** What one audit pass found, by state: axe findings, sideways overflow, console trouble. */
interface Audit {
  violations: Record<string, string[]>;
  overflow: Record<string, number>;
  consoleProblems: string[];
  formIssues: string[];
}

function startAudit(context: BrowserContext): Audit {
  const audit: Audit = { violations: {}, overflow: {}, consoleProblems: [], formIssues: watchFormIssues(context) };
  context.on('console', (message) => {
    // A refused request (a wrong password is a 401/403) is logged by the browser as a failed load: expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) audit.consoleProblems.push(message.text());
  });
  context.on('weberror', (error) => audit.consoleProblems.push(String(error.error())));
  return audit;
}

async function check(audit: Audit, page: Page, state: string): Promise<void> {
  // Let transitions and the status line settle before reading colours.
  await page.waitForTimeout(50);
  const violations = await axeViolations(page);
  if (violations.length > 0) audit.violations[state] = violations;
  audit.overflow[state] = await sidewaysOverflow(page);
}

/**
 * An error state: the value goes into the field, the form is sent, the status says what is wrong,
 * focus lands on the field (marked invalid), and the state is audited.
 */
async function submitWrong(audit: Audit, page: Page, state: string, input: { field: string; value: string; submit: string; status: string }): Promise<void> {
  await page.getByTestId(input.field).fill(input.value);
  await page.getByTestId(input.submit).click();
  await untilText(page, 'status', input.status);
  await untilFocused(page, input.field);
  expect(await page.getByTestId(input.field).getAttribute('aria-invalid')).toBe('true');
  await check(audit, page, state);
}

const passes = [
  { name: 'light, desktop', colorScheme: 'light', viewport: { width: 1280, height: 900 } },
  { name: 'dark, 320 px', colorScheme: 'dark', viewport: { width: 320, height: 720 } },
  { name: 'light, 320 px', colorScheme: 'light', viewport: { width: 320, height: 720 } },
  { name: 'dark, desktop', colorScheme: 'dark', viewport: { width: 1280, height: 900 } },
] as const;

describe('the sign-in pages, audited', () => {
  it('the audit itself fails on a page with the faults it looks for', async () => {
    // Prepare
    const context = await chromium().newContext();
    const formIssues = watchFormIssues(context);
    const page = await context.newPage();

    // Act: grey on white, an unlabelled field, a duplicate id
    await page.setContent(
      '<!doctype html><html lang="en"><title>faulty</title><main><p style="color:#bbb">faint</p><form><input id="a"><input id="a" type="password"></form></main></html>',
    );
    const violations = await axeViolations(page);
    await page.getByRole('textbox').first().click();

    // Assess
    expect(violations.some((line) => line.startsWith('color-contrast'))).toBe(true);
    expect(violations.some((line) => line.startsWith('label'))).toBe(true);
    await expect.poll(() => formIssues.length, { timeout: 5_000 }).toBeGreaterThan(0);
    await context.close();
  });

  it.each(passes)('pass "$name": every view and state has 0 axe violations at WCAG 2.2 AA, no form advice, no sideways scroll, focus where stated', async ({ name, colorScheme, viewport }) => {
    // Prepare
    const context = await chromium().newContext({ colorScheme, viewport });
    const audit = startAudit(context);
    const email = newEmail('audit');
    const changedEmail = newEmail('audit-new');
    try {
      // Act + Assess, state by state
      const page = await openSignedOut(context);
      await check(audit, page, 'sign-in');

      await page.getByTestId('login-submit').click();
      await untilText(page, 'status', 'Enter your email address or username. Enter your password.');
      await untilFocused(page, 'login-email');
      expect(await page.getByTestId('login-email').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByTestId('login-password').getAttribute('aria-describedby')).toContain('status');
      await check(audit, page, 'sign-in, empty fields');

      await page.getByTestId('switch-sign-up').click();
      await untilFocused(page, 'sign-up-title');
      await check(audit, page, 'sign-up');
      await page.getByTestId('register-submit').click();
      await untilText(page, 'status', 'Enter your email address.');
      expect(await textOf(page, 'status')).not.toContain('typos');
      await page.getByTestId('register-email').fill(email);
      await page.getByTestId('register-submit').click();
      await untilText(page, 'status', `Check ${email}`);
      await untilFocused(page, 'sent-title');
      await check(audit, page, 'sign-up sent');

      await page.goto(await mailLinkFor(email, '/verify'));
      await untilText(page, 'verify-address', email);
      await check(audit, page, 'verify');
      await submitWrong(audit, page, 'verify, weak password', {
        field: 'verify-password',
        value: 'password',
        submit: 'verify-submit',
        status: 'That password is too common — pick another.',
      });
      await page.getByTestId('verify-password').fill(password);
      await page.locator('#view-verify .toggle').click();
      expect(await page.getByTestId('verify-password').getAttribute('type')).toBe('text');
      await page.getByTestId('verify-submit').click();
      await untilText(page, 'me', email);
      await untilFocused(page, 'profile-title');
      await check(audit, page, 'account: profile');

      for (const [section, heading] of [
        ['password', 'password-title'],
        ['two-factor', 'mfa-section-title'],
        ['sign-in-methods', 'methods-title'],
        ['sessions', 'sessions-title'],
        ['activity', 'activity-title'],
        ['danger-zone', 'danger-title'],
      ] as const) {
        await page.getByTestId(`nav-${section}`).click();
        await untilFocused(page, heading);
        expect(await visiblePasswordForms(page)).toBeLessThanOrEqual(1);
        await check(audit, page, `account: ${section}`);
      }

      // Two-factor: a wrong password, then the set-up steps without the password field, then on
      await page.getByTestId('nav-two-factor').click();
      await submitWrong(audit, page, 'two-factor, wrong password', {
        field: 'mfa-enroll-password',
        value: 'not my password',
        submit: 'mfa-enroll-submit',
        status: 'Your password is not right.',
      });
      await page.getByTestId('mfa-enroll-password').fill(password);
      await page.getByTestId('mfa-enroll-submit').click();
      await untilFocused(page, 'mfa-setup-title');
      expect(await page.getByTestId('mfa-enroll-password').isVisible()).toBe(false);
      const secret = await textOf(page, 'mfa-secret');
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(await page.locator('[data-testid="mfa-secret"] span').allTextContents()).toEqual(secret.match(/.{4}/g));
      await check(audit, page, 'two-factor set-up step');
      await page.getByTestId('mfa-confirm-code').fill(totpCode(secret));
      await page.getByTestId('mfa-confirm-submit').click();
      await untilText(page, 'status', 'Two-factor authentication is on');
      await untilFocused(page, 'mfa-recovery-title');
      await check(audit, page, 'two-factor recovery codes');
      const recoveryCodes = (await textOf(page, 'mfa-recovery-codes')).split('\n').map((line) => line.trim());
      for (const form of ['regenerate', 'disable']) {
        await page.getByTestId(`mfa-${form}-open`).click();
        await untilFocused(page, `mfa-${form}-title`);
        expect(await visiblePasswordForms(page)).toBe(1);
        await check(audit, page, `two-factor on: ${form} form`);
      }

      // Email change: the confirm page
      await page.getByTestId('nav-profile').click();
      await page.getByTestId('change-email-new').fill(changedEmail);
      await page.getByTestId('change-email-password').fill(password);
      await page.getByTestId('change-email-code').fill(recoveryCodes[0]!);
      await page.getByTestId('change-email-submit').click();
      await untilText(page, 'status', `Check ${changedEmail}`);
      await page.goto(await mailLinkFor(changedEmail, '/confirm-email'));
      await untilText(page, 'status', 'Confirm');
      await check(audit, page, 'confirm email');
      await page.getByTestId('confirm-email-submit').click();
      await untilText(page, 'me', changedEmail);

      // Sign out; the second step of a sign-in, a wrong code, then a recovery code
      await logOut(page);
      await untilFocused(page, 'sign-in-title');
      await page.getByTestId('login-email').fill(changedEmail);
      await submitWrong(audit, page, 'sign-in, wrong password', {
        field: 'login-password',
        value: 'a wrong password',
        submit: 'login-submit',
        status: 'That email, username or password is not right.',
      });
      await page.getByTestId('login-password').fill(password);
      await page.getByTestId('login-submit').click();
      await untilFocused(page, 'mfa-title');
      expect(await page.getByTestId('login-submit').isVisible()).toBe(false);
      expect(await page.getByTestId('switch-sign-up').isVisible()).toBe(false);
      await check(audit, page, 'second step');
      await submitWrong(audit, page, 'second step, wrong code', {
        field: 'login-mfa-code',
        value: '000000',
        submit: 'login-mfa-submit',
        status: 'That code is not right',
      });
      await page.getByTestId('login-mfa-code').fill(recoveryCodes[1]!);
      await page.getByTestId('login-mfa-submit').click();
      await untilText(page, 'me', changedEmail);

      // Forgot password, the reset page, the used link, an incomplete link
      await logOut(page);
      await page.getByText('Forgot your password?').click();
      await untilFocused(page, 'forgot-title');
      await check(audit, page, 'forgot password');
      await page.getByTestId('forgot-email').fill(changedEmail);
      await page.getByTestId('forgot-submit').click();
      await untilText(page, 'status', `If ${changedEmail} has an account`);
      const resetLink = await mailLinkFor(changedEmail, '/reset-password');
      await page.goto(resetLink);
      await untilText(page, 'status', 'Choose a new password');
      await check(audit, page, 'reset password');
      await page.getByTestId('reset-password').fill('a brand new long password');
      await page.getByTestId('reset-submit').click();
      await untilText(page, 'status', 'Your password has been changed');
      await untilFocused(page, 'link-done-title');
      await check(audit, page, 'link done');
      await page.goto(`${stack.apiUrl}/verify`);
      await untilText(page, 'status', 'This link is incomplete');
      await check(audit, page, 'incomplete link');

      // Assess the whole pass
      expect(audit.violations).toEqual({});
      expect(audit.formIssues).toEqual([]);
      expect(audit.consoleProblems).toEqual([]);
      if (viewport.width === 320) expect(Object.entries(audit.overflow).filter(([, overflow]) => overflow > 0)).toEqual([]);
    } catch (error) {
      await screenshotAll([context], `pages audit ${name}`);
      throw error;
    } finally {
      await context.close();
    }
  });

  it('keyboard only (Tab and Enter): sign up, sign in, sign out', async () => {
    // Prepare
    const context = await chromium().newContext({ viewport: { width: 1280, height: 900 } });
    const email = newEmail('keys');
    try {
      const page = await openSignedOut(context);

      // Act: sign up
      await tabTo(page, 'switch-sign-up');
      await page.keyboard.press('Enter');
      await untilFocused(page, 'sign-up-title');
      await tabTo(page, 'register-email');
      await page.keyboard.type(email);
      await page.keyboard.press('Enter');
      await untilText(page, 'status', `Check ${email}`);
      await page.goto(await mailLinkFor(email, '/verify'));
      await untilText(page, 'verify-address', email);
      await tabTo(page, 'verify-password');
      await page.keyboard.type(password);
      await page.keyboard.press('Enter');
      await untilText(page, 'me', email);

      // Sign out, sign in, sign out
      await tabTo(page, 'logout');
      await page.keyboard.press('Enter');
      await untilText(page, 'status', 'Signed out.');
      await untilFocused(page, 'sign-in-title');
      await tabTo(page, 'login-email');
      await page.keyboard.type(email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(password);
      await page.keyboard.press('Enter');
      await untilText(page, 'me', email);
      await tabTo(page, 'logout');
      await page.keyboard.press('Enter');

      // Assess
      await untilText(page, 'status', 'Signed out.');
      expect(await textOf(page, 'me')).toBe('');
      await untilFocused(page, 'sign-in-title');
    } catch (error) {
      await screenshotAll([context], 'pages keyboard only');
      throw error;
    } finally {
      await context.close();
    }
  });

  it('a session that ended while the page was closed is named as such, not as a plain sign-out', async () => {
    // Prepare
    const context = await chromium().newContext();
    const email = newEmail('expired');
    try {
      const page = await signUp(context, email);

      // Act: the refresh cookie is gone (expired, or the session was ended elsewhere)
      await context.clearCookies();
      await page.reload();

      // Assess
      await untilText(page, 'status', 'Your session has ended');
      expect(await textOf(page, 'me')).toBe('');
    } finally {
      await context.close();
    }
  });

  it('serves every page with a CSP that forbids inline code and framing', async () => {
    // Prepare
    const paths = ['/', '/sign-up', '/verify?token=x', '/reset-password?token=x', '/confirm-email?token=x', '/forgot-password', '/app.js', '/pages.css', '/theme.css'];

    // Act
    const policies = await Promise.all(paths.map(async (path) => (await fetch(`${stack.apiUrl}${path}`)).headers.get('content-security-policy')));

    // Assess
    for (const policy of policies) {
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("style-src 'self'");
      expect(policy).not.toContain('unsafe-inline');
    }
  });
});
