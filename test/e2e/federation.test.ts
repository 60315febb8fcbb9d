import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mailLinkFor, mailLinksFor, untilText } from './browser';
import { newEmail, openSignedOut, password, signUp, useDevices } from './fixture';

/**
 * Sign-in with the local OpenID provider on the demo page, in Chromium, through the data-testid
 * hooks only: the "Continue with" button, the provider's own page (idp-email, idp-submit), back
 * signed in; connecting and disconnecting a provider from the account's sign-in methods.
 */
const device = useDevices();

/** The provider's sign-in page: an address typed, "verified" left checked, submitted. */
async function atProvider(page: Page, email: string): Promise<void> {
  await page.getByTestId('idp-email').waitFor();
  await page.getByTestId('idp-email').fill(email);
  await expect(page.getByTestId('idp-email-verified').isChecked()).resolves.toBe(true);
  await page.getByTestId('idp-submit').click();
}

describe('signing in with a provider', () => {
  it('goes from "Continue with Local" to the provider’s page and back signed in, with the identity listed', async () => {
    // Prepare
    const email = newEmail('e2e-fed');
    const page = await openSignedOut(await device());

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
    const page = await openSignedOut(await device());

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
    const page = await openSignedOut(await device());

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
