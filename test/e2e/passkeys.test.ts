import { describe, expect, it } from 'vitest';
import { mailLinkFor, untilText } from './browser';
import { logOut, newEmail, password, signUp, useDevices } from './fixture';

/**
 * Passkeys and email sign-in as a person uses them on the sign-in pages, in Chromium with a CDP
 * virtual authenticator (CTAP2, internal transport, resident keys, user verification): the
 * browser's own WebAuthn runs, nothing is mocked.
 */
const email = newEmail('passkey');
const device = useDevices();

describe('passkeys and email sign-in on the sign-in pages', () => {
  it('adds a passkey on the account view, signs in with it after signing out, deletes it, then signs in by an email link', async () => {
    // Prepare: sign up through the mailed link, then a platform authenticator in the browser
    const context = await device();
    const page = await signUp(context, email);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // Act: add a passkey
    await page.getByTestId('nav-sign-in-methods').click();
    await page.getByTestId('passkey-name').fill('This laptop');
    await page.getByTestId('passkey-password').fill(password);
    await page.getByTestId('passkey-add').click();
    await untilText(page, 'status', 'Passkey added.');
    await expect.poll(() => page.getByTestId('passkey-item').count()).toBe(1);

    // Act: sign out, sign in with the passkey button
    await logOut(page);
    await page.getByTestId('passkey-signin').click();
    await untilText(page, 'me', email);

    // Act: delete it (step-up with the password)
    await page.getByTestId('nav-sign-in-methods').click();
    await page.getByTestId('passkey-password').fill(password);
    await page.getByTestId('passkey-delete').click();
    await untilText(page, 'status', 'Passkey removed.');
    await expect.poll(() => page.getByTestId('passkey-item').count()).toBe(0);

    // Act: sign out, sign in by the mailed link, which asks before it signs in
    await logOut(page);
    await page.getByTestId('email-signin-email').fill(email);
    await page.getByTestId('email-signin-submit').click();
    await page.goto(await mailLinkFor(email, '/email-signin'));
    await page.getByTestId('email-signin-confirm').click();

    // Assess
    await untilText(page, 'me', email);
  });
});
