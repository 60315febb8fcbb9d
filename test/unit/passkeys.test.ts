import { generateAuthenticationOptions, generateRegistrationOptions, type AuthenticatorTransport } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../../shared/auth/context';
import { verifyPasskeyAssertion } from '../../shared/auth/passkey-authentication';
import { registerPasskey } from '../../shared/auth/passkey-registration';
import {
  CHALLENGE_TTL_SECONDS, challengeOf, counterAccepted, hashChallenge, passkeyAmr, passkeyLoginOptions, passkeyRegistrationOptions, relyingParty,
} from '../../shared/auth/passkeys';
import { parseConfig } from '../../shared/config';
import { ApiError } from '../../shared/errors';
import type { UserRecord } from '../../shared/stores';
import { memoryPasskeyStores } from '../support/memory-passkeys';
import { SoftwareAuthenticator } from '../support/webauthn';

const APP = 'http://localhost:3000';
const user: UserRecord = { id: 'user-ada', email: 'ada@example.com', passwordHash: 'hash', createdAt: '2026-01-01T00:00:00.000Z' };

/** The rules over in-memory stores that keep the one property that matters: a challenge is deleted once. */
function memoryContext(start = Date.UTC(2026, 11, 3, 7, 0, 0)) {
  const { challenges, passkeys, challengeStore, passkeyStore } = memoryPasskeyStores();
  const clock = { now: start };
  const ctx = {
    config: parseConfig({ TABLE_NAME: 't', APP_URL: APP }),
    now: () => clock.now,
    users: { findById: async (id: string) => (id === user.id ? user : undefined) },
    challenges: challengeStore,
    passkeys: passkeyStore,
  } as unknown as AuthContext;
  return { ctx, clock, challenges, passkeys };
}

async function registered(counts = false) {
  const memory = memoryContext();
  const authenticator = new SoftwareAuthenticator({ origin: APP, counts });
  await registerPasskey(memory.ctx, user.id, { response: authenticator.register(await passkeyRegistrationOptions(memory.ctx, user)) });
  return { ...memory, authenticator };
}

const refusal = new ApiError('invalid_credentials');

describe('passkey options', () => {
  it('for a registration are what @simplewebauthn/server makes of the same settings, the existing passkeys excluded', async () => {
    // Prepare
    const { ctx, passkeys } = await registered();

    // Act
    const options = await passkeyRegistrationOptions(ctx, user);

    // Assess
    const existing = [...passkeys.values()];
    expect(existing).toHaveLength(1);
    expect(options).toEqual(
      await generateRegistrationOptions({
        rpName: 'Serverless Auth', rpID: 'localhost', userName: user.email, userDisplayName: user.email, userID: new TextEncoder().encode(user.id),
        challenge: Buffer.from(options.challenge, 'base64url'), attestationType: 'none',
        excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[] })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' }, supportedAlgorithmIDs: [-7, -257, -8], timeout: CHALLENGE_TTL_SECONDS * 1000,
      }),
    );
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual(existing.map((p) => p.id));
  });

  it('for a login are what @simplewebauthn/server makes of the same settings, with no allowCredentials', async () => {
    // Prepare
    const { ctx } = memoryContext();

    // Act
    const options = await passkeyLoginOptions(ctx);

    // Assess
    expect(options).toEqual(
      await generateAuthenticationOptions({
        rpID: 'localhost', challenge: Buffer.from(options.challenge, 'base64url'), allowCredentials: [], userVerification: 'required', timeout: CHALLENGE_TTL_SECONDS * 1000,
      }),
    );
  });
});

describe('passkey challenges', () => {
  it('are 32 random bytes, stored only as their hash, for 5 minutes', async () => {
    const { ctx, challenges, clock } = memoryContext();
    const options = await passkeyLoginOptions(ctx);

    expect(Buffer.from(options.challenge, 'base64url')).toHaveLength(32);
    expect([...challenges.keys()]).toEqual([hashChallenge(options.challenge)]);
    expect(challenges.get(hashChallenge(options.challenge))).toMatchObject({ purpose: 'passkey_login', expiresAt: clock.now + CHALLENGE_TTL_SECONDS * 1000 });
    expect(options.allowCredentials).toEqual([]);
    expect(options.userVerification).toBe('required');
  });

  it('serve one assertion: the second use of a challenge is refused', async () => {
    const { ctx, authenticator } = await registered();
    const assertion = authenticator.assert(await passkeyLoginOptions(ctx));

    await expect(verifyPasskeyAssertion(ctx, assertion, refusal)).resolves.toMatchObject({ user: { id: user.id } });
    await expect(verifyPasskeyAssertion(ctx, assertion, refusal)).rejects.toBe(refusal);
  });

  it('expire after 5 minutes', async () => {
    const { ctx, clock, authenticator } = await registered();
    const assertion = authenticator.assert(await passkeyLoginOptions(ctx));
    clock.now += CHALLENGE_TTL_SECONDS * 1000;

    await expect(verifyPasskeyAssertion(ctx, assertion, refusal)).rejects.toBe(refusal);
  });

  it('of a registration never serve a login', async () => {
    const { ctx, authenticator } = await registered();
    const registration = await passkeyRegistrationOptions(ctx, user);

    await expect(verifyPasskeyAssertion(ctx, authenticator.assert({ challenge: registration.challenge, rpId: 'localhost' }), refusal)).rejects.toBe(refusal);
  });

  it('are read from clientDataJSON, and nothing else is', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(challengeOf(encode({ type: 'webauthn.get', challenge: 'abc' }))).toBe('abc');
    expect(challengeOf(encode({ challenge: 42 }))).toBeUndefined();
    expect(challengeOf(encode(null))).toBeUndefined();
    expect(challengeOf('not json')).toBeUndefined();
  });
});

describe('the counter rule', () => {
  it('accepts two zeros (an authenticator that does not count) and a counter that went up', () => {
    expect(counterAccepted(0, 0)).toBe(true);
    expect(counterAccepted(0, 1)).toBe(true);
    expect(counterAccepted(5, 6)).toBe(true);
  });

  it('refuses a counter that stayed, went down or fell back to zero', () => {
    expect(counterAccepted(5, 5)).toBe(false);
    expect(counterAccepted(5, 4)).toBe(false);
    expect(counterAccepted(5, 0)).toBe(false);
  });

  it('refuses a cloned authenticator replaying an older counter', async () => {
    const { ctx, authenticator } = await registered(true);
    const credential = [...authenticator.credentials.values()][0]!;
    await verifyPasskeyAssertion(ctx, authenticator.assert(await passkeyLoginOptions(ctx)), refusal);
    credential.counter -= 1;

    await expect(verifyPasskeyAssertion(ctx, authenticator.assert(await passkeyLoginOptions(ctx)), refusal)).rejects.toBe(refusal);
  });
});

describe('amr of a passkey sign-in', () => {
  it('is hwk for a device-bound passkey and swk for a synced one, with user verification', () => {
    expect(passkeyAmr({ backupEligible: false, backedUp: false })).toEqual(['hwk', 'user']);
    expect(passkeyAmr({ backupEligible: true, backedUp: false })).toEqual(['swk', 'user']);
    expect(passkeyAmr({ backupEligible: true, backedUp: true })).toEqual(['swk', 'user']);
  });
});

describe('the relying party', () => {
  it('is the host of APP_URL unless webauthnRpId names one, with the app origins', () => {
    const config = parseConfig({ TABLE_NAME: 't', APP_URL: 'https://app.example.com/start', ALLOWED_ORIGINS: 'https://admin.example.com' });
    expect(relyingParty(config)).toMatchObject({ id: 'app.example.com', origins: ['https://app.example.com', 'https://admin.example.com'] });
    expect(relyingParty({ ...config, WEBAUTHN_RP_ID: 'example.com' }).id).toBe('example.com');
  });
});
