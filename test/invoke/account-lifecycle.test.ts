import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as changeEmailHandler } from '../../functions/change-email/handler';
import { handler as changePasswordHandler } from '../../functions/change-password/handler';
import { handler as confirmEmailHandler } from '../../functions/confirm-email/handler';
import { handler as deleteAccountHandler } from '../../functions/delete-account/handler';
import { FAILURE_MEMORY_SECONDS } from '../../shared/auth/throttle';
import { verifyPassword } from '../../shared/passwords';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { attemptsCounted, ddbMock, givenAttempts, givenUser, sesMock, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, json, setCookies } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', username: 'Alice', password: 'correct horse battery' };
const caller = { userId: alice.id, sessionId: 'sess-alice-laptop' };
const newPassword = 'a brand new passphrase';

const changePassword = (body: unknown) => changePasswordHandler(apiEvent({ path: '/auth/password/change', body, auth: caller }), lambdaContext);
const changeEmail = (body: unknown) => changeEmailHandler(apiEvent({ path: '/auth/email/change', body, auth: caller }), lambdaContext);
const confirmEmail = (body: unknown) => confirmEmailHandler(apiEvent({ path: '/auth/email/confirm', body }), lambdaContext);
const deleteAccount = (body: unknown, headers?: Record<string, string>) =>
  deleteAccountHandler(apiEvent({ method: 'DELETE', path: '/me', body, auth: caller, headers }), lambdaContext);

const accountCounter = { pk: `ATTEMPTS#account#${alice.id}`, sk: 'ATTEMPTS' };
function givenAccountLocked() {
  givenAttempts({ ...accountCounter, failures: 5, version: 5, lockedUntil: Date.now() + 2000, expiresAt: Math.ceil(Date.now() / 1000) + FAILURE_MEMORY_SECONDS });
}
const transactions = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
const revokedSessions = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET revokedAt = :now').map((c) => c.args[0].input.Key!.pk);
const intentsWritten = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!).filter((item) => String(item.pk).startsWith('MAIL#'));

/** Every protected route that re-authenticates, with a body carrying the given password. */
const reauthenticating = [
  ['POST /auth/password/change', (password: string) => changePassword({ currentPassword: password, newPassword })],
  ['POST /auth/email/change', (password: string) => changeEmail({ password, newEmail: 'alice.new@example.com' })],
  ['DELETE /me', (password: string) => deleteAccount({ password })],
] as const;

describe('re-authentication on password change, email change and deletion', () => {
  it.each(reauthenticating)('%s: a wrong password is 403 reauthentication_failed (never 401), counted on the account, nothing changed', async (_, call) => {
    // Prepare
    await givenUser(alice);

    // Act
    const reply = await call('not my password at all');

    // Assess
    expectProblem(reply, 403, 'reauthentication_failed');
    expect(attemptsCounted()).toEqual([`ATTEMPTS#account#${alice.id}`]);
    expect(transactions()).toEqual([]);
    expect(intentsWritten()).toEqual([]);
    expect(revokedSessions()).toEqual([]);
  });

  it.each(reauthenticating)('%s: a locked account is 429 too_many_attempts with Retry-After, even with the right password', async (_, call) => {
    // Prepare
    await givenUser(alice);
    givenAccountLocked();

    // Act
    const reply = await call(alice.password);

    // Assess
    expectProblem(reply, 429, 'too_many_attempts');
    expect(Number(reply.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(transactions()).toEqual([]);
  });

  it.each(reauthenticating)('%s: a token whose user is gone is 401 unauthorized', async (_, call) => {
    // Act
    const reply = await call(alice.password);

    // Assess
    expectProblem(reply, 401, 'unauthorized');
  });
});

describe('POST /auth/password/change', () => {
  it('sets the new hash iff the verified one is still stored, bumps the credentials version, writes the notice, and revokes every other session', async () => {
    // Prepare
    const stored = await givenUser(alice);
    ddbMock.on(QueryCommand).resolves({ Items: [{ id: caller.sessionId }, { id: 'sess-alice-phone' }] });

    // Act
    const reply = await changePassword({ currentPassword: alice.password, newPassword });

    // Assess
    expect(reply.statusCode).toBe(204);
    const [[update, notice, event, ...rest]] = transactions() as [any[]];
    expect(event).toMatchObject({ Put: { Item: { pk: 'USER#user-alice', sk: expect.stringMatching(/^EVT#/), type: 'password_changed', ipAddress: '203.0.113.7', userAgent: 'vitest' } } });
    expect(rest).toEqual([]);
    expect(update.Update).toMatchObject({ Key: { pk: 'USER#user-alice' }, ConditionExpression: 'attribute_exists(pk) AND passwordHash = :verified' });
    expect(update.Update.ExpressionAttributeValues[':verified']).toBe(stored.passwordHash);
    expect(update.Update.UpdateExpression).toContain('credentialsVersion');
    expect(await verifyPassword(newPassword, update.Update.ExpressionAttributeValues[':hash'])).toBe(true);
    expect(notice.Put.Item).toMatchObject({ kind: 'password_changed', email: alice.email });
    expect(revokedSessions()).toEqual(['SESSION#sess-alice-phone']);
    expect(sesMock.calls()).toEqual([]);
  });

  it('refuses with 403 when another device changed the password between the check and the write', async () => {
    // Prepare
    await givenUser(alice);
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));

    // Act
    const reply = await changePassword({ currentPassword: alice.password, newPassword });

    // Assess
    expectProblem(reply, 403, 'reauthentication_failed');
    expect(revokedSessions()).toEqual([]);
  });

  it('refuses a common new password with 400 validation_failed naming the field, before any password check', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    const reply = await changePassword({ currentPassword: alice.password, newPassword: 'password' });

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field: 'newPassword' })] });
    expect(attemptsCounted()).toEqual([]);
  });
});

describe('POST /auth/email/change', () => {
  it('answers 202 after writing one email_change intent for the new address, whether or not it is taken', async () => {
    // Prepare
    await givenUser(alice);
    await givenUser({ id: 'user-bob', email: 'bob@example.com', password: 'another long password' });

    // Act
    const free = await changeEmail({ password: alice.password, newEmail: ' Alice.New@Example.com ' });
    const taken = await changeEmail({ password: alice.password, newEmail: 'bob@example.com' });

    // Assess
    expect(free.statusCode).toBe(202);
    expect(taken.statusCode).toBe(202);
    expect(taken.body).toBe(free.body);
    expect(json(free)).toEqual({ message: 'If the new address can be used, a mail with a link to confirm it is on its way there.' });
    expect(intentsWritten()).toEqual([
      // The account's credentialsVersion now: the link the mailer makes is bound to it (a reset before the mail goes out kills it).
      expect.objectContaining({ kind: 'email_change', email: 'alice.new@example.com', userId: alice.id, credentialsVersion: 0 }),
      expect.objectContaining({ kind: 'email_change', email: 'bob@example.com', userId: alice.id, credentialsVersion: 0 }),
    ]);
    expect(sesMock.calls()).toEqual([]);
  });

  it('refuses a malformed new address with 400 validation_failed', async () => {
    // Act
    const reply = await changeEmail({ password: alice.password, newEmail: 'nope' });

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(json(reply).code).toBe('validation_failed');
  });
});

describe('POST /auth/email/confirm', () => {
  const token = 'vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';
  const tokenHash = hashVerificationToken(token);
  const linkKey = { pk: `EMAILCHANGE#${tokenHash}`, sk: 'EMAILCHANGE' };
  function givenEmailChangeLink(options: { expiresAt?: number; oldEmail?: string; credentialsVersion?: number } = {}) {
    ddbMock.on(GetCommand, { Key: linkKey }).resolves({
      Item: {
        ...linkKey, userId: alice.id, oldEmail: options.oldEmail ?? alice.email, newEmail: 'alice.new@example.com',
        credentialsVersion: options.credentialsVersion ?? 0,
        expiresAt: Math.ceil((options.expiresAt ?? Date.now() + 3_600_000) / 1000),
      },
    });
  }

  it('moves the account to the new address in one transaction and answers the user with it', async () => {
    // Prepare
    await givenUser(alice);
    givenEmailChangeLink();

    // Act
    const reply = await confirmEmail({ token });

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(json(reply).user).toEqual({ id: alice.id, email: 'alice.new@example.com', username: 'Alice', createdAt: expect.any(String), mfaEnabled: false });
    const [[consume, oldEmail, newEmail, user, notice, freed, event, ...rest]] = transactions() as [any[]];
    expect(event).toMatchObject({ Put: { Item: { pk: 'USER#user-alice', sk: expect.stringMatching(/^EVT#/), type: 'email_changed', ipAddress: '203.0.113.7', userAgent: 'vitest' } } });
    expect(rest).toEqual([]);
    expect(consume.Delete).toMatchObject({ Key: linkKey, ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now' });
    expect(oldEmail.Delete).toMatchObject({ Key: { pk: 'EMAIL#alice@example.com' }, ConditionExpression: 'userId = :user' });
    expect(newEmail.Put).toMatchObject({ Item: { pk: 'EMAIL#alice.new@example.com', userId: alice.id }, ConditionExpression: 'attribute_not_exists(pk)' });
    // Bound to the account as the link was made for it: its address and its credentialsVersion.
    expect(user.Update).toMatchObject({
      Key: { pk: 'USER#user-alice' },
      ConditionExpression: 'attribute_exists(pk) AND email = :old AND (attribute_not_exists(credentialsVersion) OR credentialsVersion = :version)',
      ExpressionAttributeValues: expect.objectContaining({ ':version': 0 }),
    });
    expect(notice.Put.Item).toMatchObject({ kind: 'email_changed', email: 'alice@example.com', newEmail: 'alice.new@example.com' });
    // The old address is recorded as freed: sign-up links made for it before stay dead.
    expect(freed.Put.Item).toMatchObject({ pk: 'ADDRESSFREED#alice@example.com', freedAt: expect.any(Number), expiresAt: expect.any(Number) });
  });

  it('answers the user of an account with two-factor on as mfaEnabled', async () => {
    // Prepare
    const item = await givenUser(alice);
    ddbMock.on(GetCommand, { Key: { pk: `USER#${alice.id}`, sk: 'USER' } }).resolves({ Item: { ...item, totpSecret: 'v1.ciphertext' } });
    givenEmailChangeLink();

    // Act
    const reply = await confirmEmail({ token });

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(json(reply).user).toMatchObject({ email: 'alice.new@example.com', mfaEnabled: true });
  });

  it('answers 409 email_taken when another account claimed the address meanwhile', async () => {
    // Prepare
    await givenUser(alice);
    givenEmailChangeLink();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']));

    // Act
    const reply = await confirmEmail({ token });

    // Assess
    expect(reply.statusCode).toBe(409);
    expect(json(reply).code).toBe('email_taken');
  });

  it.each([
    ['an unknown link', async () => {}],
    ['an expired link', async () => { await givenUser(alice); givenEmailChangeLink({ expiresAt: Date.now() - 1000 }); }],
    ['a link of a deleted account', async () => givenEmailChangeLink()],
    ['a link of an account whose address changed since', async () => { await givenUser(alice); givenEmailChangeLink({ oldEmail: 'alice.older@example.com' }); }],
    ['a link made before a reset or password change (credentialsVersion moved on)', async () => { await givenUser(alice); givenEmailChangeLink({ credentialsVersion: 3 }); }],
    ['a link stored without a credentialsVersion', async () => {
      await givenUser(alice);
      ddbMock.on(GetCommand, { Key: linkKey }).resolves({ Item: { ...linkKey, userId: alice.id, oldEmail: alice.email, newEmail: 'alice.new@example.com', expiresAt: Math.ceil(Date.now() / 1000) + 3600 } });
    }],
  ])('refuses %s with 400 invalid_token and writes nothing', async (_, given) => {
    // Prepare
    await given();

    // Act
    const reply = await confirmEmail({ token });

    // Assess
    expectProblem(reply, 400, 'invalid_token');
    expect(transactions()).toEqual([]);
  });

  it('refuses a link used by a racing confirm (the transaction lost) with 400 invalid_token', async () => {
    // Prepare
    await givenUser(alice);
    givenEmailChangeLink();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed', 'ConditionalCheckFailed', 'None']));

    // Act
    const reply = await confirmEmail({ token });

    // Assess
    expectProblem(reply, 400, 'invalid_token');
  });
});

describe('DELETE /me', () => {
  it('deletes the user and its uniqueness items with the notice in one transaction, then revokes every session and clears both cookies', async () => {
    // Prepare
    await givenUser(alice);
    ddbMock.on(QueryCommand).resolves({ Items: [{ id: caller.sessionId }, { id: 'sess-alice-phone' }] });

    // Act
    const reply = await deleteAccount({ password: alice.password });

    // Assess
    expect(reply.statusCode).toBe(204);
    const [[user, email, notice, freed, username, ...rest]] = transactions() as [any[]];
    expect(rest).toEqual([]);
    expect(freed.Put.Item).toMatchObject({ pk: 'ADDRESSFREED#alice@example.com', freedAt: expect.any(Number) });
    // Only on the user as read: a session recorded since would bump sessionsVersion and make the deletion read again.
    expect(user.Delete).toMatchObject({
      Key: { pk: 'USER#user-alice', sk: 'USER' },
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(sessionsVersion) OR sessionsVersion = :sessionsVersion)',
    });
    expect(email.Delete).toMatchObject({ Key: { pk: 'EMAIL#alice@example.com' }, ConditionExpression: 'userId = :user' });
    expect(username.Delete).toMatchObject({ Key: { pk: 'USERNAME#alice' }, ConditionExpression: 'userId = :user' });
    expect(notice.Put.Item).toMatchObject({ kind: 'account_deleted', email: alice.email });
    expect(new Set(revokedSessions())).toEqual(new Set(['SESSION#sess-alice-laptop', 'SESSION#sess-alice-phone']));
    expect(setCookies(reply)).toEqual([
      'refresh_token=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict',
      'device=; Max-Age=0; Path=/auth/login; HttpOnly; Secure; SameSite=Strict',
    ]);
  });

  it('reads the user again when a login recorded a session meanwhile, deletes on that, and revokes that session too', async () => {
    // Prepare: the first transaction meets a user whose sessionsVersion moved on; the index does not list the new session yet.
    const item = await givenUser(alice);
    const afterLogin = { ...item, sessionsVersion: 1, recentSessions: new Set([`sess-just-now ${Date.now() - 100}`]) };
    ddbMock.on(GetCommand, { Key: { pk: 'USER#user-alice', sk: 'USER' } }).resolvesOnce({ Item: item }).resolves({ Item: afterLogin });
    ddbMock.on(TransactWriteCommand).rejectsOnce(transactionCanceled(['ConditionalCheckFailed', 'None', 'None', 'None'])).resolves({});
    ddbMock.on(QueryCommand).resolves({ Items: [{ id: caller.sessionId }] });

    // Act
    const reply = await deleteAccount({ password: alice.password });

    // Assess
    expect(reply.statusCode).toBe(204);
    const [, [retried]] = transactions() as [unknown, any[]];
    expect(retried.Delete.ExpressionAttributeValues).toEqual({ ':sessionsVersion': 1 });
    expect(new Set(revokedSessions())).toEqual(new Set(['SESSION#sess-alice-laptop', 'SESSION#sess-just-now']));
  });

  it('answers 503 with Retry-After when logins keep slipping in before the deletion commits, deleting nothing', async () => {
    // Prepare: every read shows one more recorded session than the one before.
    const item = await givenUser(alice);
    let reads = 0;
    ddbMock.on(GetCommand, { Key: { pk: 'USER#user-alice', sk: 'USER' } }).callsFake(() => ({ Item: { ...item, sessionsVersion: reads++ } }));
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None', 'None', 'None']));

    // Act
    const reply = await deleteAccount({ password: alice.password });

    // Assess
    expectProblem(reply, 503, 'service_unavailable');
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(transactions()).toHaveLength(4);
    expect(revokedSessions()).toEqual([]);
  });

  it('refuses a request from a foreign Origin with 403 origin_not_allowed and deletes nothing', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    const reply = await deleteAccount({ password: alice.password }, { Origin: 'https://evil.example' });

    // Assess
    expectProblem(reply, 403, 'origin_not_allowed');
    expect(transactions()).toEqual([]);
  });

  it('answers 401 when the account was deleted by a racing request, revoking nothing twice', async () => {
    // Prepare
    await givenUser(alice);
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None', 'None', 'None']));

    // Act
    const reply = await deleteAccount({ password: alice.password });

    // Assess
    expectProblem(reply, 401, 'unauthorized');
    expect(revokedSessions()).toEqual([]);
  });
});
