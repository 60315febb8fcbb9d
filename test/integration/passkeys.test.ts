import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { SoftwareAuthenticator, withBadSignature } from '../support/webauthn';
import {
  allowedOrigin, api, bearer, claimsOf, expectProblem, me, newVerifiedUser, PASSWORD, postJson, refreshCookieOf, waitForMails, type SignedIn,
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
