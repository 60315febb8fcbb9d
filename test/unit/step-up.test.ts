import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../../shared/auth/context';
import { registerPasskey } from '../../shared/auth/passkey-registration';
import { passkeyLoginOptions, passkeyRegistrationOptions } from '../../shared/auth/passkeys';
import { RECENT_SIGN_IN_MS, stepUp, stepUpMethod, type StepUpPasskey } from '../../shared/auth/step-up';
import { parseConfig } from '../../shared/config';
import type { MfaState, SessionRecord, UserRecord } from '../../shared/stores';
import { memoryPasskeyStores } from '../support/memory-passkeys';
import { SoftwareAuthenticator, withBadSignature } from '../support/webauthn';

const APP = 'http://localhost:3000';
const NOW = Date.UTC(2026, 11, 3, 9, 0, 0);
const withPassword: UserRecord = { id: 'user-ada', email: 'ada@example.com', passwordHash: 'stored-hash', createdAt: '2026-01-01T00:00:00.000Z' };
/** Created through an identity provider: no password (the record's type does not say so yet). */
const withoutPassword = { id: 'user-bo', email: 'bo@example.com', createdAt: '2026-01-01T00:00:00.000Z' } as UserRecord;
const caller = (user: UserRecord) => ({ userId: user.id, sessionId: `sess-${user.id}` });

/**
 * The step-up rules over in-memory stores: users, the caller's session, passkeys and challenges
 * (deleted once), and the two-factor state. The password path and code counters run through the
 * throttle and are exercised by the invoke and integration tests.
 */
function memoryContext(options: { users: UserRecord[]; signedInAt?: number; revoked?: boolean; mfa?: Partial<MfaState> }) {
  const { challengeStore, passkeyStore } = memoryPasskeyStores();
  const sessionOf = (id: string): SessionRecord | undefined => {
    const user = options.users.find((u) => id === `sess-${u.id}`);
    if (!user || options.signedInAt === undefined) return undefined;
    return {
      id, userId: user.id, generation: 0, createdAt: options.signedInAt, lastUsedAt: NOW, absoluteExpiresAt: NOW + 86_400_000, ...(options.revoked ? { revokedAt: NOW } : {}),
    };
  };
  const ctx = {
    config: parseConfig({ TABLE_NAME: 't', APP_URL: APP }),
    now: () => NOW,
    users: { findById: async (id: string) => options.users.find((u) => u.id === id) },
    sessions: { get: async (id: string) => sessionOf(id) },
    mfa: { getState: async (userId: string) => ({ email: userId, recoveryCodeHashes: [], ...options.mfa }) },
    challenges: challengeStore,
    passkeys: passkeyStore,
  } as unknown as AuthContext;
  return ctx;
}

/** A passkey of `user` on a fresh software authenticator, registered through the rules. */
async function givenPasskey(ctx: AuthContext, user: UserRecord): Promise<SoftwareAuthenticator> {
  const authenticator = new SoftwareAuthenticator({ origin: APP, counts: true });
  await registerPasskey(ctx, user.id, { response: authenticator.register(await passkeyRegistrationOptions(ctx, user)) });
  return authenticator;
}

const assertion = async (ctx: AuthContext, authenticator: SoftwareAuthenticator) => authenticator.assert(await passkeyLoginOptions(ctx)) as StepUpPasskey;

describe('the step-up decision', () => {
  const hasPassword = { hasPassword: true, passkeyCount: 0 };
  const hasNeither = { hasPassword: false, passkeyCount: 0 };

  it('runs on a passkey assertion when one is given, else on the password', () => {
    expect(stepUpMethod({ passkey: {} as never, password: 'pw' }, hasPassword, undefined, NOW)).toBe('passkey');
    expect(stepUpMethod({ password: 'pw' }, hasPassword, undefined, NOW)).toBe('password');
    expect(stepUpMethod({ passkey: {} as never }, hasNeither, undefined, NOW)).toBe('passkey');
  });

  it('asks for a proof when the account has a password or a passkey and none came', () => {
    expect(() => stepUpMethod({}, hasPassword, NOW, NOW)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => stepUpMethod({}, { hasPassword: false, passkeyCount: 1 }, NOW, NOW)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('accepts a recent sign-in only for an account with neither, and only under 10 minutes', () => {
    expect(stepUpMethod({}, hasNeither, NOW - RECENT_SIGN_IN_MS + 1, NOW)).toBe('recent_sign_in');
    expect(() => stepUpMethod({}, hasNeither, NOW - RECENT_SIGN_IN_MS, NOW)).toThrow(expect.objectContaining({ code: 'reauthentication_required' }));
    expect(() => stepUpMethod({}, hasNeither, undefined, NOW)).toThrow(expect.objectContaining({ code: 'reauthentication_required' }));
  });
});

describe('step-up', () => {
  it('accepts an assertion by one of the caller’s passkeys, once', async () => {
    // Prepare
    const ctx = memoryContext({ users: [withPassword] });
    const authenticator = await givenPasskey(ctx, withPassword);
    const proof = await assertion(ctx, authenticator);

    // Act
    const proved = await stepUp(ctx, caller(withPassword), { passkey: proof });

    // Assess: the same assertion again is a replay.
    expect(proved.id).toBe(withPassword.id);
    await expect(stepUp(ctx, caller(withPassword), { passkey: proof })).rejects.toMatchObject({ code: 'reauthentication_failed', status: 403 });
  });

  it('refuses a forged assertion and one by another account’s passkey with 403 reauthentication_failed', async () => {
    // Prepare
    const ctx = memoryContext({ users: [withPassword, withoutPassword] });
    const own = await givenPasskey(ctx, withPassword);
    const others = await givenPasskey(ctx, withoutPassword);

    const forged = withBadSignature(await assertion(ctx, own)) as StepUpPasskey;
    const foreign = await assertion(ctx, others);

    // Act, Assess
    await expect(stepUp(ctx, caller(withPassword), { passkey: forged })).rejects.toMatchObject({ code: 'reauthentication_failed' });
    await expect(stepUp(ctx, caller(withPassword), { passkey: foreign })).rejects.toMatchObject({ code: 'reauthentication_failed' });
  });

  it('lets an account with neither password nor passkey step up on a sign-in under 10 minutes old', async () => {
    const ctx = memoryContext({ users: [withoutPassword], signedInAt: NOW - RECENT_SIGN_IN_MS + 1000 });
    expect((await stepUp(ctx, caller(withoutPassword), {})).id).toBe(withoutPassword.id);
  });

  it('sends an account with neither whose sign-in is too old, or whose session is revoked, to sign in again', async () => {
    const tooOld = memoryContext({ users: [withoutPassword], signedInAt: NOW - RECENT_SIGN_IN_MS });
    const revoked = memoryContext({ users: [withoutPassword], signedInAt: NOW, revoked: true });

    await expect(stepUp(tooOld, caller(withoutPassword), {})).rejects.toMatchObject({ code: 'reauthentication_required', status: 403 });
    await expect(stepUp(revoked, caller(withoutPassword), {})).rejects.toMatchObject({ code: 'reauthentication_required' });
  });

  it('does not let a recent sign-in stand in for the passkey of an account without a password that has one', async () => {
    const ctx = memoryContext({ users: [withoutPassword], signedInAt: NOW });
    await givenPasskey(ctx, withoutPassword);
    await expect(stepUp(ctx, caller(withoutPassword), {})).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('still asks for the code with two-factor on, after a good passkey or a recent sign-in', async () => {
    // Prepare
    const twoFactor = { mfa: { secret: 'encrypted-secret' } };
    const ctx = memoryContext({ users: [withPassword], ...twoFactor });
    const authenticator = await givenPasskey(ctx, withPassword);
    const fresh = memoryContext({ users: [withoutPassword], signedInAt: NOW, ...twoFactor });
    const proof = await assertion(ctx, authenticator);

    const codeRequired = { code: 'validation_failed', options: { errors: [expect.objectContaining({ field: 'code' })] } };

    // Act, Assess
    await expect(stepUp(ctx, caller(withPassword), { passkey: proof })).rejects.toMatchObject(codeRequired);
    await expect(stepUp(fresh, caller(withoutPassword), {})).rejects.toMatchObject(codeRequired);
  });

  it('treats a token whose user is gone as no token', async () => {
    const ctx = memoryContext({ users: [], signedInAt: NOW });
    await expect(stepUp(ctx, caller(withoutPassword), {})).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
