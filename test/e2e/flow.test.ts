import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  openDemo,
  openDevice,
  pause,
  screenshotAll,
  stack,
  textOf,
  untilEmpty,
  untilText,
  mailLinkFor,
  type DeviceLog,
} from './browser';
import { newEmail, password, submitLogin, useChromium } from './fixture';

/**
 * The whole flow a person goes through on the sign-in pages, driven only through its data-testid
 * hooks. The tests run in order and share one "device" (a browser context: one cookie jar, one
 * localStorage), as one person would.
 */
const email = newEmail('e2e');
const pastTokenExpiryMs = (stack.accessTokenTtlSeconds + 2) * 1000;

const chromium = useChromium();
let device: { context: BrowserContext; log: DeviceLog };
let tab: Page;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  device = await openDevice(chromium());
  contexts.push(device.context);
});

beforeEach(({ task, onTestFailed }) => {
  onTestFailed(() => screenshotAll(contexts, task.name));
});

describe('the sign-in pages in Chromium', () => {
  it('asks for a sign-up link with the email alone and shows the dev inbox', async () => {
    // Prepare
    tab = await openDemo(device.context);
    await untilText(tab, 'status', 'Signed out. Sign up or log in.');

    // Act
    await tab.getByTestId('switch-sign-up').click();
    await tab.getByTestId('register-email').fill(email);
    await tab.getByTestId('register-submit').click();

    // Assess
    await untilText(tab, 'status', `Check ${email}`);
    expect(await textOf(tab, 'me')).toBe('');
    expect(await tab.locator('a#mail-viewer').getAttribute('href')).toBe(stack.mailUrl);
    await untilText(tab, 'dev-inbox', 'Finish signing up');
    // A first visit restores nothing, so it asks the API nothing that could fail.
    expect(device.log.refreshStatuses).toEqual([]);
  });

  it('opening the mailed link uses nothing up; choosing the password there creates the account and signs in', async () => {
    // Prepare
    const link = await mailLinkFor(email, '/verify');
    const verifyPosts: string[] = [];
    tab.on('request', (request) => {
      if (new URL(request.url()).pathname === '/auth/verify') verifyPosts.push(request.method());
    });

    // Act
    await tab.goto(link);
    await untilText(tab, 'status', 'Choose a password');
    const postsOnLoad = verifyPosts.length;
    await tab.getByTestId('verify-password').fill(password);
    await tab.getByTestId('verify-submit').click();

    // Assess
    expect(postsOnLoad).toBe(0);
    await untilText(tab, 'me', email);
    await untilText(tab, 'status', 'Your account is ready');
    expect(verifyPosts).toEqual(['POST']);
    expect(tab.url()).not.toContain('token=');
    await untilEmpty(tab, 'verify-password');
  });

  it('keeps the user signed in across a reload', async () => {
    // Act
    await tab.reload();

    // Assess
    await untilText(tab, 'status', `Welcome back, ${email}`);
    expect(await textOf(tab, 'me')).toBe(email);
  });

  it('absorbs the expiry of the access token without the user noticing', async () => {
    // Prepare
    const tokensBefore = [...device.log.meTokens];
    const refreshesBefore = device.log.refreshStatuses.length;
    await pause(pastTokenExpiryMs);

    // Act
    await tab.getByTestId('whoami').click();

    // Assess
    await untilText(tab, 'status', `You are signed in as ${email}`);
    expect(await textOf(tab, 'me')).toBe(email);
    expect(tokensBefore).not.toContain(device.log.meTokens.at(-1));
    expect(device.log.refreshStatuses.slice(refreshesBefore).filter((status) => status !== 200)).toEqual([]);
  });

  it('keeps two tabs signed in when they load and refresh at the same time', async () => {
    // Prepare
    const second = await device.context.newPage();
    const refreshesBefore = device.log.refreshStatuses.length;

    // Act
    await Promise.all([tab.reload(), second.goto(`${stack.apiUrl}/`)]);
    await pause(pastTokenExpiryMs);
    await Promise.all([tab.getByTestId('whoami').click(), second.getByTestId('whoami').click()]);

    // Assess
    for (const page of [tab, second]) {
      await untilText(page, 'status', `You are signed in as ${email}`);
      expect(await textOf(page, 'me')).toBe(email);
    }
    expect(device.log.refreshStatuses.slice(refreshesBefore).filter((status) => status !== 200)).toEqual([]);
  });

  it('logging out signs out every tab and the old access token is refused', async () => {
    // Prepare
    const [first, second] = device.context.pages() as [Page, Page];
    await first.getByTestId('whoami').click();
    await untilText(first, 'status', 'You are signed in as');
    const lastAccessToken = device.log.meTokens.at(-1)!;

    // Act
    await first.getByTestId('logout').click();

    // Assess
    await untilText(first, 'status', 'Signed out.');
    expect(await textOf(first, 'me')).toBe('');
    await untilText(second, 'status', 'Signed out in another tab');
    expect(await textOf(second, 'me')).toBe('');
    const me = await fetch(`${stack.apiUrl}/me`, { headers: { Authorization: `Bearer ${lastAccessToken}` } });
    expect(me.status).toBe(401);
    await first.reload();
    await untilText(first, 'status', 'Signed out. Sign up or log in.');
    expect(await textOf(first, 'me')).toBe('');
  });

  it('logs in with the form, and logging out everywhere ends the session on another device within a token lifetime', async () => {
    // Prepare
    const otherDevice = await openDevice(chromium());
    contexts.push(otherDevice.context);
    const [first] = device.context.pages() as [Page];
    const elsewhere = await openDemo(otherDevice.context);
    for (const page of [first, elsewhere]) {
      await submitLogin(page, email);
      await untilText(page, 'me', email);
    }

    // Act
    await first.getByTestId('nav-sessions').click();
    await first.getByTestId('logout-all').click();

    // Assess
    await untilText(first, 'status', 'Signed out everywhere.');
    // The other device learns it at its next refresh, a little before its access token expires.
    await untilText(elsewhere, 'status', 'Your session has ended');
    expect(await textOf(elsewhere, 'me')).toBe('');
    expect(await textOf(first, 'me')).toBe('');
  });

  it('logged nothing to the console on the way', () => {
    // Assess: the device that went through the normal flow (the other device's refused
    // refresh after "log out everywhere" is expected to show up in its console).
    expect(device.log.errors).toEqual([]);
  });
});
