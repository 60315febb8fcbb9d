import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { SoftwareAuthenticator, withBadSignature } from '../support/webauthn';
import {
  allowedOrigin, api, bearer, claimsOf, expectProblem, login, me, newVerifiedUser, PASSWORD, postJson, refreshCookieOf, uniqueEmail, waitForMails, type SignedIn,
} from './support';

/**
 * Passkeys over HTTP on the local stack, with a software authenticator (ES256, `none`
 * attestation) so registration and sign-in run the server's WebAuthn path unmocked.
 */
async function registrationOptions(user: SignedIn, stepUp: Record<string, unknown> = { password: PASSWORD }): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const response = await postJson('/auth/passkeys/register/options', stepUp, bearer(user.accessToken));
  expect(response.status).toBe(200);
  return (await response.json()) as PublicKeyCredentialCreationOptionsJSON;
}

async function loginOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const response = await api('/auth/passkeys/login/options', { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as PublicKeyCredentialRequestOptionsJSON;
}

/** A user with one passkey on `authenticator`; answers the user and the passkey's id. */
async function userWithPasskey(authenticator: SoftwareAuthenticator, label = 'passkey'): Promise<{ user: SignedIn; passkeyId: string }> {
  const user = await newVerifiedUser(label);
  const attestation = authenticator.register(await registrationOptions(user));
  const response = await postJson('/auth/passkeys/register', { response: attestation, name: 'Laptop' }, bearer(user.accessToken));
  expect(response.status).toBe(201);
  const { passkey } = (await response.json()) as { passkey: { id: string } };
  return { user, passkeyId: passkey.id };
}

const passkeyLogin = (response: unknown) => postJson('/auth/passkeys/login', { response });

describe('passkeys', () => {
  it('registers a passkey, signs in with it without a password, and deletes it', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    const { user, passkeyId } = await userWithPasskey(authenticator);

    const signIn = await passkeyLogin(authenticator.assert(await loginOptions()));
    expect(signIn.status).toBe(200);
    const body = (await signIn.json()) as { accessToken: string; user: { id: string } };
    expect(body.user.id).toBe(user.userId);
    expect(refreshCookieOf(signIn)).toBeDefined();
    expect(claimsOf(body.accessToken).amr).toEqual(['hwk', 'user']);
    expect((await me(body.accessToken)).status).toBe(200);

    const listed = await api('/auth/passkeys', { headers: bearer(user.accessToken) });
    const { passkeys } = (await listed.json()) as { passkeys: { id: string; name: string; lastUsedAt: string | null }[] };
    expect(passkeys).toEqual([expect.objectContaining({ id: passkeyId, name: 'Laptop', lastUsedAt: expect.any(String) })]);

    const removed = await api(`/auth/passkeys/${passkeyId}`, {
      method: 'DELETE', headers: { 'Content-Type': 'application/json', ...bearer(user.accessToken) }, body: JSON.stringify({ password: PASSWORD }),
    });
    expect(removed.status).toBe(204);
    await expectProblem(await passkeyLogin(authenticator.assert(await loginOptions())), 401, 'invalid_credentials');
    const notices = await waitForMails(user.email, 3);
    expect(notices.map((mail) => mail.subject)).toEqual(expect.arrayContaining(['A passkey was added', 'A passkey was removed']));
  });

  it('marks a synced passkey as swk', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin, synced: true });
    await userWithPasskey(authenticator, 'synced');
    const signIn = await passkeyLogin(authenticator.assert(await loginOptions()));
    expect(claimsOf(((await signIn.json()) as { accessToken: string }).accessToken).amr).toEqual(['swk', 'user']);
  });

  it('answers an unknown credential, a bad signature and a used challenge with the same 401', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    await userWithPasskey(authenticator, 'same401');
    const stranger = new SoftwareAuthenticator({ origin: allowedOrigin });
    stranger.register(await registrationOptions(await newVerifiedUser('stranger')));

    const unknown = await passkeyLogin(stranger.assert(await loginOptions()));
    const forged = await passkeyLogin(withBadSignature(authenticator.assert(await loginOptions())));
    const used = authenticator.assert(await loginOptions());
    expect((await passkeyLogin(used)).status).toBe(200);
    const replayed = await passkeyLogin(used);

    const bodies = await Promise.all([unknown, forged, replayed].map((response) => expectProblem(response, 401, 'invalid_credentials')));
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
  });

  it('lets only one of many parallel sign-ins with one challenge through', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    await userWithPasskey(authenticator, 'parallel');
    const assertion = authenticator.assert(await loginOptions());
    const replies = await Promise.all(Array.from({ length: 8 }, () => passkeyLogin(assertion)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('refuses a response from an origin that is not the app’s', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    await userWithPasskey(authenticator, 'phished');
    const phishing = new SoftwareAuthenticator({ origin: 'https://evil.example' });
    for (const credential of authenticator.credentials.values()) phishing.credentials.set(credential.id, credential);
    await expectProblem(await passkeyLogin(phishing.assert(await loginOptions())), 401, 'invalid_credentials');
  });

  it('refuses a passkey without user verification', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    await userWithPasskey(authenticator, 'no-uv');
    const presenceOnly = new SoftwareAuthenticator({ origin: allowedOrigin, userVerified: false });
    for (const credential of authenticator.credentials.values()) presenceOnly.credentials.set(credential.id, credential);
    await expectProblem(await passkeyLogin(presenceOnly.assert(await loginOptions())), 401, 'invalid_credentials');
  });

  it('asks for step-up before registration options, and a wrong password is 403', async () => {
    const user = await newVerifiedUser('stepup');
    await expectProblem(await postJson('/auth/passkeys/register/options', { password: 'not the password' }, bearer(user.accessToken)), 403, 'reauthentication_failed');
    await expectProblem(await postJson('/auth/passkeys/register/options', {}, bearer(user.accessToken)), 400, 'validation_failed');
  });

  it('steps up with a passkey assertion instead of the password', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    const { user } = await userWithPasskey(authenticator, 'stepup-passkey');
    const options = await registrationOptions(user, { passkey: authenticator.assert(await loginOptions()) });
    expect(options.excludeCredentials).toHaveLength(1);
  });

  it('does not register with a challenge made for another user', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    const owner = await newVerifiedUser('owner');
    const other = await newVerifiedUser('other');
    const attestation = authenticator.register(await registrationOptions(owner));
    await expectProblem(await postJson('/auth/passkeys/register', { response: attestation }, bearer(other.accessToken)), 400, 'invalid_passkey');
  });

  it('answers 404 for a passkey of another user', async () => {
    const { passkeyId } = await userWithPasskey(new SoftwareAuthenticator({ origin: allowedOrigin }), 'victim');
    const attacker = await newVerifiedUser('attacker');
    const response = await api(`/auth/passkeys/${passkeyId}`, {
      method: 'DELETE', headers: { 'Content-Type': 'application/json', ...bearer(attacker.accessToken) }, body: JSON.stringify({ password: PASSWORD }),
    });
    await expectProblem(response, 404, 'not_found');
  });
});

const deleteJson = (path: string, body: unknown, headers: Record<string, string>) =>
  api(path, { method: 'DELETE', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

async function securityEventTypes(user: SignedIn): Promise<string[]> {
  const reply = await api('/me/security-events', { headers: bearer(user.accessToken) });
  expect(reply.status).toBe(200);
  return ((await reply.json()) as { events: { type: string }[] }).events.map((event) => event.type);
}

describe('step-up with a passkey on every sensitive route', () => {
  it('changes the email and deletes the account with passkey assertions instead of the password', async () => {
    // Prepare: an account that signed up and added a passkey.
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    const { user } = await userWithPasskey(authenticator, 'passkey-manages');
    const newEmail = uniqueEmail('passkey-moved');

    // Act: the mailer sends the confirmation link only while the account exists, so the deletion waits for it.
    const changed = await postJson('/auth/email/change', { passkey: authenticator.assert(await loginOptions()), newEmail }, bearer(user.accessToken));
    const [confirmation] = await waitForMails(newEmail, 1);
    const deleted = await deleteJson('/me', { passkey: authenticator.assert(await loginOptions()) }, bearer(user.accessToken));

    // Assess: the confirmation link went to the new address; the account is gone with its passkey.
    expect(changed.status).toBe(202);
    expect(confirmation!.body.text).toMatch(/confirm-email\?token=/);
    expect(deleted.status).toBe(204);
    expect((await me(user.accessToken)).status).toBe(401);
    await expectProblem(await passkeyLogin(authenticator.assert(await loginOptions())), 401, 'invalid_credentials');
  });

  it('changes the password and enrolls two-factor with a passkey assertion', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    const { user } = await userWithPasskey(authenticator, 'passkey-password');

    const changed = await postJson('/auth/password/change', { passkey: authenticator.assert(await loginOptions()), newPassword: 'a passkey-chosen passphrase' }, bearer(user.accessToken));
    const enrolled = await postJson('/auth/mfa/totp/enroll', { passkey: authenticator.assert(await loginOptions()) }, bearer(user.accessToken));

    expect(changed.status).toBe(204);
    expect((await login(user.email, 'a passkey-chosen passphrase')).accessToken).toEqual(expect.any(String));
    expect(enrolled.status).toBe(200);
    expect(await enrolled.json()).toMatchObject({ secret: expect.any(String) });
  });

  it('refuses a replayed, forged or foreign assertion with 403 reauthentication_failed and changes nothing', async () => {
    // Prepare
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    const { user } = await userWithPasskey(authenticator, 'passkey-replay');
    const stranger = new SoftwareAuthenticator({ origin: allowedOrigin });
    await userWithPasskey(stranger, 'passkey-stranger');
    const used = authenticator.assert(await loginOptions());
    expect((await postJson('/auth/email/change', { passkey: used, newEmail: uniqueEmail('first') }, bearer(user.accessToken))).status).toBe(202);

    // Act
    const replayed = await deleteJson('/me', { passkey: used }, bearer(user.accessToken));
    const forged = await deleteJson('/me', { passkey: withBadSignature(authenticator.assert(await loginOptions())) }, bearer(user.accessToken));
    const foreign = await deleteJson('/me', { passkey: stranger.assert(await loginOptions()) }, bearer(user.accessToken));

    // Assess
    for (const reply of [replayed, forged, foreign]) await expectProblem(reply, 403, 'reauthentication_failed');
    expect((await me(user.accessToken)).status).toBe(200);
  });

  it('records passkey added, a passkey sign-in and passkey removed as security events', async () => {
    const authenticator = new SoftwareAuthenticator({ origin: allowedOrigin });
    const { user, passkeyId } = await userWithPasskey(authenticator, 'passkey-events');

    expect(await securityEventTypes(user)).toContain('passkey_added');
    expect((await passkeyLogin(authenticator.assert(await loginOptions()))).status).toBe(200);
    expect((await deleteJson(`/auth/passkeys/${passkeyId}`, { passkey: authenticator.assert(await loginOptions()) }, bearer(user.accessToken))).status).toBe(204);

    const reply = await api('/me/security-events', { headers: bearer(user.accessToken) });
    const { events } = (await reply.json()) as { events: { type: string; method?: string }[] };
    // Newest first: removed, the passkey sign-in, added.
    expect(events.slice(0, 3)).toEqual([
      expect.objectContaining({ type: 'passkey_removed' }),
      expect.objectContaining({ type: 'signed_in', method: 'passkey' }),
      expect.objectContaining({ type: 'passkey_added' }),
    ]);
  });
});
