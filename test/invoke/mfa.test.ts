import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { handler as confirmHandler } from '../../functions/mfa-confirm/handler';
import { handler as disableHandler } from '../../functions/mfa-disable/handler';
import { handler as enrollHandler } from '../../functions/mfa-enroll/handler';
import { handler as regenerateHandler } from '../../functions/mfa-recovery-codes/handler';
import { handler as verifyHandler } from '../../functions/mfa-verify/handler';
import { handler as loginHandler } from '../../functions/login/handler';
import { handler as changeEmailHandler } from '../../functions/change-email/handler';
import { handler as changePasswordHandler } from '../../functions/change-password/handler';
import { handler as deleteAccountHandler } from '../../functions/delete-account/handler';
import { hashMfaToken } from '../../shared/auth/mfa-challenge';
import { decryptTotpSecret, encryptTotpSecret } from '../../shared/auth/mfa-crypto';
import { hashRecoveryCode } from '../../shared/auth/recovery-codes';
import { FAILURE_MEMORY_SECONDS } from '../../shared/auth/throttle';
import { codeAt, newTotpSecret, timeStep } from '../../shared/auth/totp';
import { issueDeviceToken } from '../../shared/tokens/device-token';
import { attemptsCounted, awsError, ddbMock, givenAttempts, givenEmptyTable, givenUser, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, expectSignedIn, json, setCookies } from '../support/replies';
import { publicKeyPem } from '../support/keys';

const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const aliceUser = { id: alice.id, email: alice.email, createdAt: '2026-11-01T00:00:00.000Z', mfaEnabled: true };
const caller = { userId: alice.id, sessionId: 'sess-alice-0001' };
const userKey = { pk: `USER#${alice.id}`, sk: 'USER' };
const RECOVERY_CODE = 'abcde-12345';

const call = (handler: typeof enrollHandler, method: 'POST' | 'DELETE', path: string, body: unknown, auth: typeof caller | undefined = caller) =>
  handler(apiEvent({ method, path, body, ...(auth ? { auth } : {}) }), lambdaContext);
const enroll = (body: unknown) => call(enrollHandler, 'POST', '/auth/mfa/totp/enroll', body);
const confirm = (body: unknown) => call(confirmHandler, 'POST', '/auth/mfa/totp/confirm', body);
const regenerate = (body: unknown) => call(regenerateHandler, 'POST', '/auth/mfa/recovery-codes', body);
const disable = (body: unknown) => call(disableHandler, 'DELETE', '/auth/mfa/totp', body);
const verify = (body: unknown) => call(verifyHandler, 'POST', '/auth/mfa/verify', body, undefined);

/** Alice's user item with two-factor state as the store writes it; returns her plain secret. */
async function givenTwoFactor(
  state: { on?: boolean; pending?: boolean; lastUsedStep?: number; credentialsVersion?: number; extra?: Record<string, unknown> } = { on: true },
): Promise<string> {
  const secret = newTotpSecret();
  const item = await givenUser(alice);
  const encrypted = await encryptTotpSecret(alice.id, secret);
  ddbMock.on(GetCommand, { Key: userKey }).resolves({
    Item: {
      ...item,
      ...(state.pending ? { totpPending: encrypted } : {}),
      ...(state.on ? { totpSecret: encrypted, recoveryCodes: new Set([hashRecoveryCode(alice.id, RECOVERY_CODE)!, 'other-hash']) } : {}),
      ...(state.lastUsedStep !== undefined ? { totpLastStep: state.lastUsedStep } : {}),
      ...(state.credentialsVersion !== undefined ? { credentialsVersion: state.credentialsVersion } : {}),
      ...state.extra,
    },
  });
  return secret;
}

/** A counter of `key` locked for another minute. */
function givenLocked(key: string) {
  const now = Date.now();
  givenAttempts({ pk: `ATTEMPTS#${key}`, sk: 'ATTEMPTS', failures: 5, version: 5, lockedUntil: now + 60_000, expiresAt: Math.ceil(now / 1000) + FAILURE_MEMORY_SECONDS });
}

const updatesOf = (key: Record<string, string>) => ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input).filter((i) => i.Key?.pk === key.pk);
const transactions = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
const mailIntentPuts = () => ddbMock.commandCalls(PutCommand).filter((c) => String(c.args[0].input.Item?.pk).startsWith('MAIL#'));
const mailIntents = () => transactions().flatMap((items) => items.flatMap((item) => (String(item.Put?.Item?.pk).startsWith('MAIL#') ? [item.Put!.Item!] : [])));

describe('POST /auth/mfa/totp/enroll', () => {
  it('answers a base32 secret and its otpauth URI, and stores the secret encrypted as pending', async () => {
    await givenUser(alice);

    const reply = await enroll({ password: alice.password });

    expect(reply.statusCode).toBe(200);
    const { secret, otpauthUri } = json(reply);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toBe(`otpauth://totp/Serverless%20Auth:alice%40example.com?issuer=Serverless%20Auth&secret=${secret}&algorithm=SHA1&digits=6&period=30`);
    const [write] = updatesOf(userKey);
    expect(write!.UpdateExpression).toBe('SET totpPending = :secret');
    expect(JSON.stringify(write)).not.toContain(secret);
    expect(await decryptTotpSecret(alice.id, write!.ExpressionAttributeValues![':secret'])).toBe(secret);
  });

  it('refuses a wrong password with 403 reauthentication_failed and stores nothing', async () => {
    await givenUser(alice);

    const reply = await enroll({ password: 'not the password' });

    expectProblem(reply, 403, 'reauthentication_failed');
    expect(updatesOf(userKey)).toEqual([]);
  });

  it('answers 409 mfa_already_enabled while two-factor is on', async () => {
    await givenTwoFactor();

    expectProblem(await enroll({ password: alice.password }), 409, 'mfa_already_enabled');
  });

  it('answers 409 mfa_already_enabled when two-factor was turned on meanwhile', async () => {
    await givenUser(alice);
    ddbMock.on(UpdateCommand, { Key: userKey }).rejects(awsError('ConditionalCheckFailedException'));

    expectProblem(await enroll({ password: alice.password }), 409, 'mfa_already_enabled');
  });

  it('answers 429 too_many_attempts while the account counter is locked, without checking the password', async () => {
    await givenUser(alice);
    givenLocked(`account#${alice.id}`);

    const reply = await enroll({ password: alice.password });

    expectProblem(reply, 429, 'too_many_attempts');
    expect(reply.headers?.['Retry-After']).toBeDefined();
  });

  it('answers 400 validation_failed without a password', async () => {
    await givenUser(alice);

    const reply = await enroll({});

    expect(reply.statusCode).toBe(400);
    expect(json(reply).code).toBe('validation_failed');
  });
});

describe('POST /auth/mfa/totp/confirm', () => {
  it('turns two-factor on with ten recovery codes, stored hashed, and the mfa_enabled notice in the same transaction', async () => {
    const secret = await givenTwoFactor({ pending: true });

    const reply = await confirm({ code: codeAt(secret, Date.now()) });

    expect(reply.statusCode).toBe(200);
    const { recoveryCodes } = json<{ recoveryCodes: string[] }>(reply);
    expect(recoveryCodes).toHaveLength(10);
    const [items] = transactions();
    const update = items!.find((i) => i.Update)!.Update!;
    expect(update.ConditionExpression).toBe('totpPending = :secret AND attribute_not_exists(totpSecret)');
    expect(update.ExpressionAttributeValues![':step']).toBe(timeStep(Date.now()));
    expect([...(update.ExpressionAttributeValues![':codes'] as Set<string>)].sort()).toEqual(recoveryCodes.map((c) => hashRecoveryCode(alice.id, c)).sort());
    expect(JSON.stringify([...(update.ExpressionAttributeValues![':codes'] as Set<string>)])).not.toContain(recoveryCodes[0]!.slice(0, 5));
    expect(mailIntents()).toEqual([expect.objectContaining({ kind: 'mfa_enabled', email: alice.email })]);
  });

  it('refuses a wrong code with 400 invalid_code and stays pending', async () => {
    const secret = await givenTwoFactor({ pending: true });

    const reply = await confirm({ code: codeAt(secret, Date.now() - 5 * 60_000) });

    expectProblem(reply, 400, 'invalid_code');
    expect(transactions()).toEqual([]);
  });

  it('answers 409 mfa_not_pending without an enrollment, or when a newer one replaced it meanwhile', async () => {
    const secret = await givenTwoFactor({ on: false });
    expectProblem(await confirm({ code: codeAt(secret, Date.now()) }), 409, 'mfa_not_pending');

    const pending = await givenTwoFactor({ pending: true });
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));
    expectProblem(await confirm({ code: codeAt(pending, Date.now()) }), 409, 'mfa_not_pending');
  });

  it('answers 429 while the account step-up code counter is locked', async () => {
    const secret = await givenTwoFactor({ pending: true });
    givenLocked(`otp-step-up#${alice.id}`);

    expectProblem(await confirm({ code: codeAt(secret, Date.now()) }), 429, 'too_many_attempts');
  });

  it('signs out every other session by default (they began with the password alone), keeping the caller\'s', async () => {
    // Prepare
    const secret = await givenTwoFactor({ pending: true });
    ddbMock.on(QueryCommand).resolves({ Items: [{ id: caller.sessionId }, { id: 'sess-alice-phone-01' }] });

    // Act
    const reply = await confirm({ code: codeAt(secret, Date.now()) });

    // Assess
    expect(reply.statusCode).toBe(200);
    const revoked = ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET revokedAt = :now').map((c) => c.args[0].input.Key);
    expect(revoked).toEqual([{ pk: 'SESSION#sess-alice-phone-01', sk: 'SESSION' }]);
  });

  it('keeps the other sessions when asked to with signOutOtherSessions: false', async () => {
    const secret = await givenTwoFactor({ pending: true });
    ddbMock.on(QueryCommand).resolves({ Items: [{ id: 'sess-alice-phone-01' }] });

    const reply = await confirm({ code: codeAt(secret, Date.now()), signOutOtherSessions: false });

    expect(reply.statusCode).toBe(200);
    expect(ddbMock.commandCalls(QueryCommand)).toEqual([]);
    expect(ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET revokedAt = :now')).toEqual([]);
  });
});

describe('POST /auth/mfa/recovery-codes', () => {
  it('replaces the set with ten fresh codes, given the password and a current code', async () => {
    const secret = await givenTwoFactor();

    const reply = await regenerate({ password: alice.password, code: codeAt(secret, Date.now()) });

    expect(reply.statusCode).toBe(200);
    const { recoveryCodes } = json<{ recoveryCodes: string[] }>(reply);
    expect(recoveryCodes).toHaveLength(10);
    const replaced = updatesOf(userKey).find((u) => u.UpdateExpression === 'SET recoveryCodes = :codes')!;
    expect([...(replaced.ExpressionAttributeValues![':codes'] as Set<string>)]).toHaveLength(10);
    expect(updatesOf(userKey).some((u) => u.UpdateExpression === 'SET totpLastStep = :step')).toBe(true);
  });

  it('refuses a wrong password with 403, a missing code with 400 validation_failed on `code`, a wrong one with 400 invalid_code', async () => {
    const secret = await givenTwoFactor();

    expectProblem(await regenerate({ password: 'not the password', code: codeAt(secret, Date.now()) }), 403, 'reauthentication_failed');
    const missing = await regenerate({ password: alice.password });
    expect(missing.statusCode).toBe(400);
    expect(json(missing)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'code' }] });
    expectProblem(await regenerate({ password: alice.password, code: '000000' === codeAt(secret, Date.now()) ? '111111' : '000000' }), 400, 'invalid_code');
  });

  it('answers 409 mfa_not_enabled while two-factor is off', async () => {
    await givenUser(alice);

    expectProblem(await regenerate({ password: alice.password, code: '123456' }), 409, 'mfa_not_enabled');
  });
});

describe('DELETE /auth/mfa/totp', () => {
  it('turns two-factor off with the password and a recovery code, writing the mfa_disabled notice with it', async () => {
    await givenTwoFactor();

    const reply = await disable({ password: alice.password, code: RECOVERY_CODE.toUpperCase() });

    expect(reply.statusCode).toBe(204);
    const removal = transactions().flat().find((i) => i.Update?.UpdateExpression === 'REMOVE totpSecret, totpLastStep, recoveryCodes, totpPending');
    expect(removal).toBeDefined();
    expect(mailIntents().map((i) => i.kind)).toEqual(['recovery_code_used', 'mfa_disabled']);
  });

  it('refuses a wrong password with 403 and a replayed code with 400 invalid_code, leaving two-factor on', async () => {
    const now = Date.now();
    const secret = await givenTwoFactor({ on: true, lastUsedStep: timeStep(now) });

    expectProblem(await disable({ password: 'not the password', code: codeAt(secret, now) }), 403, 'reauthentication_failed');
    expectProblem(await disable({ password: alice.password, code: codeAt(secret, now) }), 400, 'invalid_code');
    expect(transactions()).toEqual([]);
  });

  it('answers 429 while the account step-up code counter is locked', async () => {
    const secret = await givenTwoFactor();
    givenLocked(`otp-step-up#${alice.id}`);

    expectProblem(await disable({ password: alice.password, code: codeAt(secret, Date.now()) }), 429, 'too_many_attempts');
  });

  it('is not locked by failed codes at login: the login code counter is another counter', async () => {
    const secret = await givenTwoFactor();
    givenLocked(`otp-login#${alice.id}`);

    const reply = await disable({ password: alice.password, code: codeAt(secret, Date.now()) });

    expect(reply.statusCode).toBe(204);
  });

  it('takes a current code typed with a space, like "123 456"', async () => {
    const secret = await givenTwoFactor();
    const code = codeAt(secret, Date.now());

    const reply = await disable({ password: alice.password, code: `${code.slice(0, 3)} ${code.slice(3)}` });

    expect(reply.statusCode).toBe(204);
  });

  it('with two-factor off asks no code and only drops a pending set-up, mailing nothing', async () => {
    await givenTwoFactor({ pending: true });

    const reply = await disable({ password: alice.password });

    expect(reply.statusCode).toBe(204);
    expect(updatesOf(userKey).map((u) => u.UpdateExpression)).toEqual(['REMOVE totpSecret, totpLastStep, recoveryCodes, totpPending']);
    expect(transactions()).toEqual([]);
  });
});

describe('POST /auth/login with two-factor on', () => {
  it('answers an mfaToken and the methods, with no cookie and no access token, storing only the token hash', async () => {
    await givenTwoFactor();

    const reply = await loginHandler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } }), lambdaContext);

    expect(reply.statusCode).toBe(200);
    const body = json(reply);
    expect(body).toEqual({ mfaRequired: true, mfaToken: expect.stringMatching(/^mfa1_[\w-]{43}$/), methods: ['totp', 'recovery_code'] });
    expect(setCookies(reply)).toEqual([]);
    const challenge = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!).find((i) => String(i.pk).startsWith('MFA#'))!;
    expect(challenge).toMatchObject({ pk: `MFA#${hashMfaToken(body.mfaToken)}`, userId: alice.id, credentialsVersion: 0, attempts: 0 });
    expect(challenge.validUntil).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(challenge.validUntil).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    expect(ddbMock.commandCalls(PutCommand).some((c) => String(c.args[0].input.Item?.pk).startsWith('SESSION#'))).toBe(false);
  });
});

describe('POST /auth/login with two-factor on, from a trusted device', () => {
  it('names the device in the challenge, so the second step counts its codes on that device', async () => {
    // Prepare: a device cookie of an earlier sign-in whose record the account still trusts (on its user item).
    const deviceId = 'dev-alice-laptop-00001';
    await givenTwoFactor({ on: true, extra: { [`device#${deviceId}`]: { createdAt: Date.now() - 60_000, credentialsVersion: 0, expiresAt: Date.now() + 86_400_000 } } });
    const cookie = await issueDeviceToken(alice.id, Date.now(), deviceId);

    // Act
    const reply = await loginHandler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password }, headers: { Cookie: `device=${cookie}` } }), lambdaContext);

    // Assess
    expect(json(reply).mfaRequired).toBe(true);
    const challenge = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!).find((i) => String(i.pk).startsWith('MFA#'))!;
    expect(challenge.deviceId).toBe(deviceId);
  });
});

describe('POST /auth/mfa/verify', () => {
  const mfaToken = `mfa1_${'A'.repeat(43)}`;
  const challengeKey = { pk: `MFA#${hashMfaToken(mfaToken)}`, sk: 'MFA' };
  const givenChallenge = () => ddbMock.on(UpdateCommand, { Key: challengeKey }).resolves({ Attributes: { userId: alice.id, attempts: 1 } });

  it('signs in with a current code like login, with amr ["pwd","otp"], using up the code and the token', async () => {
    const secret = await givenTwoFactor();
    givenChallenge();

    const reply = await verify({ mfaToken, code: codeAt(secret, Date.now()) });

    const claims = expectSignedIn(reply, aliceUser);
    expect(claims.amr).toEqual(['pwd', 'otp']);
    expect(updatesOf(userKey).map((u) => u.ConditionExpression)).toEqual(['totpSecret = :secret AND (attribute_not_exists(totpLastStep) OR totpLastStep < :step)']);
    // The new session and its record on the user in one transaction, as at login (at two-factor strength: no condition on totpSecret).
    const [sessionStart] = transactions().filter((items) => items.some((item) => String(item.Put?.Item?.pk).startsWith('SESSION#')));
    expect(sessionStart!.find((item) => item.Update?.Key?.pk === userKey.pk)!.Update!.ConditionExpression).toBe('attribute_exists(pk) AND passwordHash = :verified AND attribute_not_exists(disabled)');
    expect(sessionStart!.find((item) => String(item.Put?.Item?.pk).startsWith('SESSION#'))!.Put!.Item!.amr).toEqual(['pwd', 'otp']);
  });

  it('refuses with 400 invalid_token a challenge begun before a password reset or change, and starts no session', async () => {
    // Prepare: the password was checked at credentialsVersion 0; a reset has raised it since.
    const secret = await givenTwoFactor({ on: true, credentialsVersion: 1 });
    givenChallenge();

    // Act
    const reply = await verify({ mfaToken, code: codeAt(secret, Date.now()) });

    // Assess
    expectProblem(reply, 400, 'invalid_token');
    expect(ddbMock.commandCalls(PutCommand).filter((c) => String(c.args[0].input.Item?.pk).startsWith('SESSION#'))).toEqual([]);
  });

  it('signs in with a recovery code, removing it and writing the recovery_code_used notice', async () => {
    await givenTwoFactor();
    givenChallenge();

    const reply = await verify({ mfaToken, recoveryCode: RECOVERY_CODE });

    expect(reply.statusCode).toBe(200);
    expect(mailIntents()).toEqual([expect.objectContaining({ kind: 'recovery_code_used', email: alice.email, remaining: 1 })]);
    expect(jwt.verify(json(reply).accessToken, publicKeyPem)).toMatchObject({ amr: ['pwd', 'otp'] });
  });

  it('refuses a wrong code, a replayed code and an unknown recovery code with 400 invalid_code', async () => {
    const now = Date.now();
    const secret = await givenTwoFactor({ on: true, lastUsedStep: timeStep(now) });
    givenChallenge();

    expectProblem(await verify({ mfaToken, code: codeAt(secret, now - 10 * 60_000) }), 400, 'invalid_code');
    expectProblem(await verify({ mfaToken, code: codeAt(secret, now) }), 400, 'invalid_code');
    expectProblem(await verify({ mfaToken, recoveryCode: 'zzzzz-zzzzz' }), 400, 'invalid_code');
    expect(ddbMock.commandCalls(PutCommand).some((c) => String(c.args[0].input.Item?.pk).startsWith('SESSION#'))).toBe(false);
  });

  it('refuses the loser of two uses of one code (the conditional write failed) with 400 invalid_code', async () => {
    const secret = await givenTwoFactor();
    givenChallenge();
    ddbMock.on(UpdateCommand, { Key: userKey }).rejects(awsError('ConditionalCheckFailedException'));

    expectProblem(await verify({ mfaToken, code: codeAt(secret, Date.now()) }), 400, 'invalid_code');
  });

  it('answers 400 invalid_token for an unknown, expired, used-up or just-used mfaToken', async () => {
    const secret = await givenTwoFactor();
    ddbMock.on(UpdateCommand, { Key: challengeKey }).rejects(awsError('ConditionalCheckFailedException'));
    expectProblem(await verify({ mfaToken, code: codeAt(secret, Date.now()) }), 400, 'invalid_token');

    givenChallenge();
    ddbMock.on(DeleteCommand, { Key: challengeKey }).rejects(awsError('ConditionalCheckFailedException'));
    expectProblem(await verify({ mfaToken, code: codeAt(secret, Date.now()) }), 400, 'invalid_token');
  });

  it('answers 429 while the mfaToken counter or the account login code counter is locked', async () => {
    const secret = await givenTwoFactor();
    givenChallenge();
    givenLocked(`mfatoken#${hashMfaToken(mfaToken)}`);
    expectProblem(await verify({ mfaToken, code: codeAt(secret, Date.now()) }), 429, 'too_many_attempts');

    ddbMock.reset();
    givenEmptyTable();
    await givenTwoFactor();
    givenChallenge();
    givenLocked(`otp-login#${alice.id}`);
    expectProblem(await verify({ mfaToken, code: codeAt(secret, Date.now()) }), 429, 'too_many_attempts');
  });

  it('is not locked by failed step-up codes: the step-up counter is another counter', async () => {
    const secret = await givenTwoFactor();
    givenChallenge();
    givenLocked(`otp-step-up#${alice.id}`);

    const reply = await verify({ mfaToken, code: codeAt(secret, Date.now()) });

    expect(reply.statusCode).toBe(200);
  });

  it("counts the code of a login from a trusted device on that device's own counter: the locked account counter does not stop its owner, and no new device cookie is set", async () => {
    // Prepare: the login came from a trusted device (named in the challenge); someone with the password locked the account's login codes.
    const deviceId = 'dev-alice-laptop-00001';
    const secret = await givenTwoFactor();
    ddbMock.on(UpdateCommand, { Key: challengeKey }).resolves({ Attributes: { userId: alice.id, attempts: 1, deviceId } });
    givenLocked(`otp-login#${alice.id}`);

    // Act
    const reply = await verify({ mfaToken, code: codeAt(secret, Date.now()) });

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(attemptsCounted()).toEqual([`ATTEMPTS#mfatoken#${hashMfaToken(mfaToken)}`, `ATTEMPTS#otp-device#${deviceId}`]);
    expect(setCookies(reply).filter((cookie) => cookie.startsWith('device='))).toEqual([]);
  });

  it('answers 400 validation_failed for both or neither of code and recoveryCode', async () => {
    for (const body of [{ mfaToken }, { mfaToken, code: '123456', recoveryCode: RECOVERY_CODE }]) {
      const reply = await verify(body);
      expect(reply.statusCode).toBe(400);
      expect(json(reply).code).toBe('validation_failed');
    }
  });
});

describe('step-up on the account routes while two-factor is on', () => {
  const stepUpRoutes = [
    { route: 'POST /auth/password/change', success: 204, send: (code?: string) => call(changePasswordHandler, 'POST', '/auth/password/change', { currentPassword: alice.password, newPassword: 'a brand new passphrase', ...(code === undefined ? {} : { code }) }) },
    { route: 'POST /auth/email/change', success: 202, send: (code?: string) => call(changeEmailHandler, 'POST', '/auth/email/change', { password: alice.password, newEmail: 'alice@new.example', ...(code === undefined ? {} : { code }) }) },
    { route: 'DELETE /me', success: 204, send: (code?: string) => call(deleteAccountHandler, 'DELETE', '/me', { password: alice.password, ...(code === undefined ? {} : { code }) }) },
  ];

  it.each(stepUpRoutes)('$route asks for `code` after the password: missing is 400 validation_failed, wrong is 400 invalid_code, a current one succeeds', async ({ send, success }) => {
    // Prepare
    const secret = await givenTwoFactor();
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    const current = codeAt(secret, Date.now());
    const wrong = current === '000000' ? '111111' : '000000';

    // Act
    const missing = await send();
    const refused = await send(wrong);
    const changesBeforeTheRightCode = transactions().length + mailIntentPuts().length;
    const accepted = await send(current);

    // Assess
    expect(missing.statusCode).toBe(400);
    expect(json(missing)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'code' }] });
    expectProblem(refused, 400, 'invalid_code');
    expect(changesBeforeTheRightCode).toBe(0);
    expect(accepted.statusCode).toBe(success);
    expect(updatesOf(userKey).some((u) => u.UpdateExpression === 'SET totpLastStep = :step')).toBe(true);
  });
});
