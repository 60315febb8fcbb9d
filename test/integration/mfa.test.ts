import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { hashMfaToken, MFA_TOKEN_MAX_ATTEMPTS } from '../../shared/auth/mfa-challenge';
import { codeAt } from '../../shared/auth/totp';
import {
  api, bearer, claimsOf, expectProblem, me, newVerifiedUser, PASSWORD, postJson, refresh, refreshCookieOf, setCookieOf, sleep, stack, tableClient,
  waitForMails, enableTwoFactor, type SignedIn,
} from './support';

/** Two-factor authentication on the local stack, as a client that computes codes from the secret it is given (docs/api.md). */
const STEP_MS = 30_000;
/** The code of the next time step: accepted now (±1 step), and never used before by a test that used the current one. */
const nextCode = (secret: string) => codeAt(secret, Date.now() + STEP_MS);

const enroll = (user: SignedIn, password = PASSWORD) => postJson('/auth/mfa/totp/enroll', { password }, bearer(user.accessToken));
const confirm = (user: SignedIn, code: string) => postJson('/auth/mfa/totp/confirm', { code }, bearer(user.accessToken));
const loginStep = (email: string) => postJson('/auth/login', { email, password: PASSWORD });
const verifyMfa = (body: Record<string, string>) => postJson('/auth/mfa/verify', body);
const disable = (user: SignedIn, body: Record<string, string>) =>
  api('/auth/mfa/totp', { method: 'DELETE', headers: { 'Content-Type': 'application/json', ...bearer(user.accessToken) }, body: JSON.stringify(body) });

/** A login whose password was right: its mfaToken. */
async function mfaTokenOf(email: string): Promise<string> {
  const reply = await loginStep(email);
  expect(reply.status).toBe(200);
  return ((await reply.json()) as { mfaToken: string }).mfaToken;
}

const subjects = async (email: string, count: number) => (await waitForMails(email, count)).map((mail) => mail.subject);

describe('two-factor authentication', () => {
  it('enrolls, confirms, and then asks every login for a code or a recovery code, each usable once', async () => {
    // Prepare: a user signed in with a password only, then enrolled twice (the second enroll replaces the first)
    const user = await newVerifiedUser('mfa-flow');
    expect(claimsOf(user.accessToken).amr).toEqual(['pwd']);
    const first = (await (await enroll(user)).json()) as { secret: string };
    const enrolled = await enroll(user);
    const { secret, otpauthUri } = (await enrolled.json()) as { secret: string; otpauthUri: string };
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(decodeURIComponent(otpauthUri)).toContain(`otpauth://totp/Serverless Auth:${user.email}?`);

    // Act + Assess: the replaced secret's code is refused; the current one turns two-factor on
    await expectProblem(await confirm(user, codeAt(first.secret, Date.now())), 400, 'invalid_code');
    const confirmed = await confirm(user, codeAt(secret, Date.now()));
    expect(confirmed.status).toBe(200);
    const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    await expectProblem(await confirm(user, nextCode(secret)), 409, 'mfa_not_pending');
    await expectProblem(await enroll(user), 409, 'mfa_already_enabled');
    expect(await subjects(user.email, 2)).toContain('Two-factor authentication is on');

    // The password alone no longer signs in
    const login = await loginStep(user.email);
    const step = (await login.json()) as Record<string, unknown>;
    expect(step).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
    expect(login.headers.getSetCookie()).toEqual([]);

    // A computed code completes it like a login: access token with amr pwd+otp, refresh and device cookies
    const code = nextCode(secret);
    const verified = await verifyMfa({ mfaToken: step.mfaToken as string, code });
    expect(verified.status).toBe(200);
    const session = (await verified.json()) as { user: { id: string }; accessToken: string };
    expect(session.user.id).toBe(user.userId);
    expect(claimsOf(session.accessToken).amr).toEqual(['pwd', 'otp']);
    expect(setCookieOf(verified, 'device')?.value).toMatch(/^dv1\./);
    const refreshed = await refresh(refreshCookieOf(verified)!.value);
    expect(claimsOf(((await refreshed.json()) as { accessToken: string }).accessToken).amr).toEqual(['pwd', 'otp']);

    // The mfaToken was used up; the code's time step too (replay on a fresh login)
    await expectProblem(await verifyMfa({ mfaToken: step.mfaToken as string, code }), 400, 'invalid_token');
    const replayToken = await mfaTokenOf(user.email);
    await expectProblem(await verifyMfa({ mfaToken: replayToken, code }), 400, 'invalid_code');

    // A recovery code works once (typed in capitals), and its use is mailed
    const withRecovery = await verifyMfa({ mfaToken: replayToken, recoveryCode: recoveryCodes[0]!.toUpperCase() });
    expect(withRecovery.status).toBe(200);
    expect(await subjects(user.email, 3)).toContain('A recovery code was used');
    await expectProblem(await verifyMfa({ mfaToken: await mfaTokenOf(user.email), recoveryCode: recoveryCodes[0]! }), 400, 'invalid_code');

    // A fresh set kills the old one
    const regenerated = await postJson('/auth/mfa/recovery-codes', { password: PASSWORD, code: recoveryCodes[1]! }, bearer(user.accessToken));
    expect(regenerated.status).toBe(200);
    const fresh = ((await regenerated.json()) as { recoveryCodes: string[] }).recoveryCodes;
    await expectProblem(await verifyMfa({ mfaToken: await mfaTokenOf(user.email), recoveryCode: recoveryCodes[2]! }), 400, 'invalid_code');

    // Turning it off needs the password and a second factor; then the password alone signs in again
    await expectProblem(await disable(user, { password: 'not the password', code: fresh[0]! }), 403, 'reauthentication_failed');
    const missingCode = await expectProblem(await disable(user, { password: PASSWORD }), 400, 'validation_failed');
    expect(missingCode.errors).toEqual([expect.objectContaining({ field: 'code' })]);
    await expectProblem(await disable(user, { password: PASSWORD, code: 'zzzzz-zzzzz' }), 400, 'invalid_code');
    expect((await disable(user, { password: PASSWORD, code: fresh[0]! })).status).toBe(204);
    expect(await subjects(user.email, 6)).toContain('Two-factor authentication is off');
    const plain = await loginStep(user.email);
    expect(plain.status).toBe(200);
    expect(claimsOf(((await plain.json()) as { accessToken: string }).accessToken).amr).toEqual(['pwd']);
  });

  it('tells in the user whether two-factor is on: off for a new account and while pending, on once confirmed, off once turned off', async () => {
    // Prepare
    const user = await newVerifiedUser('mfa-state');
    const mfaEnabled = async (accessToken = user.accessToken) => {
      const reply = await me(accessToken);
      expect(reply.status).toBe(200);
      return ((await reply.json()) as { user: { mfaEnabled: boolean } }).user.mfaEnabled;
    };
    const atFirst = await mfaEnabled();

    // Act
    const { secret } = (await (await enroll(user)).json()) as { secret: string };
    const whilePending = await mfaEnabled();
    const confirmed = await confirm(user, codeAt(secret, Date.now()));
    const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
    const onceConfirmed = await mfaEnabled();
    const secondStep = await verifyMfa({ mfaToken: await mfaTokenOf(user.email), code: nextCode(secret) });
    const session = (await secondStep.json()) as { user: { mfaEnabled: boolean }; accessToken: string };
    const disabled = await disable(user, { password: PASSWORD, code: recoveryCodes[0]! });
    const onceDisabled = await mfaEnabled(session.accessToken);

    // Assess
    expect(atFirst).toBe(false);
    expect(whilePending).toBe(false);
    expect(confirmed.status).toBe(200);
    expect(onceConfirmed).toBe(true);
    expect(secondStep.status).toBe(200);
    expect(session.user.mfaEnabled).toBe(true);
    expect(disabled.status).toBe(204);
    expect(onceDisabled).toBe(false);
  });

  it('answers 429 to the sixth wrong code in a row, and the mfaToken is dead after five attempts', async () => {
    // Prepare
    const user = await newVerifiedUser('mfa-guess');
    const { secret } = await enableTwoFactor(user);
    const mfaToken = await mfaTokenOf(user.email);
    const wrong = nextCode(secret) === '000000' ? '111111' : '000000';

    // Act
    const answers = [];
    for (let attempt = 1; attempt <= MFA_TOKEN_MAX_ATTEMPTS + 1; attempt++) answers.push(await verifyMfa({ mfaToken, code: wrong }));

    // Assess
    for (const answer of answers.slice(0, MFA_TOKEN_MAX_ATTEMPTS)) await expectProblem(answer, 400, 'invalid_code');
    await expectProblem(answers[MFA_TOKEN_MAX_ATTEMPTS]!, 429, 'too_many_attempts');
    expect(Number(answers[MFA_TOKEN_MAX_ATTEMPTS]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Once the lock has passed, even the right code cannot revive the token
    let afterLock: Response;
    for (const deadline = Date.now() + 20_000; ; ) {
      afterLock = await verifyMfa({ mfaToken, code: nextCode(secret) });
      if (afterLock.status !== 429 || Date.now() > deadline) break;
      await sleep(Number(afterLock.headers.get('retry-after')) * 1000);
    }
    await expectProblem(afterLock, 400, 'invalid_token');
  });

  it('lets only one of two concurrent verifies of one code through', async () => {
    // Prepare
    const user = await newVerifiedUser('mfa-race');
    const { secret } = await enableTwoFactor(user);
    const tokens = [await mfaTokenOf(user.email), await mfaTokenOf(user.email)];
    const code = nextCode(secret);

    // Act
    const replies = await Promise.all(tokens.map((mfaToken) => verifyMfa({ mfaToken, code })));

    // Assess
    expect(replies.map((r) => r.status).sort()).toEqual([200, 400]);
    await expectProblem(replies.find((r) => r.status === 400)!, 400, 'invalid_code');
  });

  it('refuses an mfaToken older than five minutes with 400 invalid_token, and stores only its hash', async () => {
    // Prepare: the challenge as stored, then aged past its five minutes
    const user = await newVerifiedUser('mfa-expired');
    const { secret } = await enableTwoFactor(user);
    const mfaToken = await mfaTokenOf(user.email);
    const table = tableClient();
    const key = { pk: `MFA#${hashMfaToken(mfaToken)}`, sk: 'MFA' };
    const { Item } = await table.send(new GetCommand({ TableName: stack.tableName, Key: key }));
    expect(Item).toMatchObject({ userId: user.userId, attempts: 0 });
    expect(JSON.stringify(Item)).not.toContain(mfaToken);
    await table.send(new UpdateCommand({ TableName: stack.tableName, Key: key, UpdateExpression: 'SET validUntil = :past', ExpressionAttributeValues: { ':past': Date.now() - 1 } }));

    // Act
    const reply = await verifyMfa({ mfaToken, code: nextCode(secret) });

    // Assess
    await expectProblem(reply, 400, 'invalid_token');
  });

  it('keeps the TOTP secret encrypted in the table', async () => {
    const user = await newVerifiedUser('mfa-at-rest');
    const { secret, recoveryCodes } = await enableTwoFactor(user);

    const { Item } = await tableClient().send(new GetCommand({ TableName: stack.tableName, Key: { pk: `USER#${user.userId}`, sk: 'USER' } }));

    expect(Item!.totpSecret).toMatch(/^v1\./);
    expect(JSON.stringify(Item, (_key, value: unknown) => (value instanceof Set ? [...value] : value))).not.toContain(secret);
    for (const code of recoveryCodes) expect(JSON.stringify([...(Item!.recoveryCodes as Set<string>)])).not.toContain(code.slice(0, 5));
  });
});
