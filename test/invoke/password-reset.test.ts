import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as forgotHandler } from '../../functions/forgot-password/handler';
import { handler as resetHandler } from '../../functions/reset-password/handler';
import { verifyPassword } from '../../shared/passwords';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { ddbMock, givenUser, sesMock, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, json } from '../support/replies';

const ACCEPTED = { message: 'If that address has an account, a mail with a link to reset its password is on its way.' };
const forgot = (body: unknown) => forgotHandler(apiEvent({ path: '/auth/password/forgot', body }), lambdaContext);
const reset = (body: unknown) => resetHandler(apiEvent({ path: '/auth/password/reset', body }), lambdaContext);
const callNames = () => ddbMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

const token = 'vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';
const tokenHash = hashVerificationToken(token);
const alice = { id: 'user-alice', email: 'alice@example.com', username: 'Alice', password: 'correct horse battery' };
const newPassword = 'a brand new passphrase';

function givenResetLink(options: { userId?: string; credentialsVersion?: number; expiresAt?: number } = {}) {
  ddbMock.on(GetCommand, { Key: { pk: `RESET#${tokenHash}`, sk: 'RESET' } }).resolves({
    Item: {
      pk: `RESET#${tokenHash}`, sk: 'RESET', userId: options.userId ?? alice.id, credentialsVersion: options.credentialsVersion ?? 0,
      expiresAt: Math.ceil((options.expiresAt ?? Date.now() + 1_800_000) / 1000),
    },
  });
}

function givenSessionsOfAlice(ids: string[]) {
  ddbMock.on(QueryCommand).resolves({ Items: ids.map((id) => ({ id })) });
}

const transactionItems = () => ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
const revokedSessions = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET revokedAt = :now').map((c) => c.args[0].input.Key!.pk);

describe('POST /auth/password/forgot', () => {
  it('answers 202 after exactly one PutItem of a password_reset intent, reading nothing', async () => {
    // Act
    const reply = await forgot({ email: ' Alice@Example.COM ' });

    // Assess
    expect(reply.statusCode).toBe(202);
    expect(json(reply)).toEqual(ACCEPTED);
    expect(callNames()).toEqual(['PutCommand']);
    const item = ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(item).toMatchObject({ pk: expect.stringMatching(/^MAIL#[\w-]{36}$/), sk: 'MAIL', kind: 'password_reset', email: 'alice@example.com', sourceIp: '203.0.113.7' });
    expect(sesMock.calls()).toEqual([]);
  });

  it('gives a byte-identical reply after the same work for an address with and without an account', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    const unknown = await forgot({ email: 'nobody@example.com' });
    const unknownCalls = callNames();
    ddbMock.resetHistory();
    const known = await forgot({ email: 'alice@example.com' });

    // Assess
    expect(known.statusCode).toBe(unknown.statusCode);
    expect(known.body).toBe(unknown.body);
    expect(known.headers).toEqual(unknown.headers);
    expect(callNames()).toEqual(unknownCalls);
  });

  it('refuses a malformed address with 400 validation_failed and writes nothing', async () => {
    // Act
    const reply = await forgot({ email: 'not-an-email' });

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(json(reply).code).toBe('validation_failed');
    expect(ddbMock.calls()).toEqual([]);
  });
});

describe('POST /auth/password/reset', () => {
  it('sets the new password, consumes the link and bumps the credentials version with the notice in one transaction', async () => {
    // Prepare
    await givenUser(alice);
    givenResetLink();

    // Act
    const reply = await reset({ token, password: newPassword });

    // Assess
    expect(reply.statusCode).toBe(204);
    expect(reply.body).toBe('');
    expect(reply.multiValueHeaders?.['Set-Cookie']).toBeUndefined();
    const [consume, user, notice, event, ...rest] = transactionItems();
    expect(event).toMatchObject({ Put: { Item: { pk: 'USER#user-alice', sk: expect.stringMatching(/^EVT#/), type: 'password_reset', ipAddress: '203.0.113.7', userAgent: 'vitest' } } });
    expect(rest).toEqual([]);
    expect(consume!.Delete).toMatchObject({ Key: { pk: `RESET#${tokenHash}`, sk: 'RESET' }, ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now' });
    expect(user!.Update).toMatchObject({ Key: { pk: 'USER#user-alice', sk: 'USER' } });
    expect(user!.Update!.ConditionExpression).toBe('attribute_exists(pk) AND (attribute_not_exists(credentialsVersion) OR credentialsVersion = :version)');
    expect(user!.Update!.UpdateExpression).toContain('credentialsVersion = if_not_exists(credentialsVersion, :zero) + :one');
    expect(await verifyPassword(newPassword, user!.Update!.ExpressionAttributeValues![':hash'] as string)).toBe(true);
    expect(notice!.Put!.Item).toMatchObject({ pk: expect.stringMatching(/^MAIL#/), kind: 'password_changed', email: 'alice@example.com' });
    expect(JSON.stringify(ddbMock.calls().map((c) => c.args[0].input))).not.toContain(token);
  });

  it('revokes every session of the user and clears the login counters of its email, username and account', async () => {
    // Prepare
    await givenUser(alice);
    givenResetLink();
    givenSessionsOfAlice(['s1', 's2']);

    // Act
    await reset({ token, password: newPassword });

    // Assess
    expect(revokedSessions().sort()).toEqual(['SESSION#s1', 'SESSION#s2']);
    const cleared = ddbMock.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key!.pk).sort();
    expect(cleared).toEqual(['ATTEMPTS#account#user-alice', 'ATTEMPTS#login#email#alice@example.com', 'ATTEMPTS#login#username#alice']);
  });

  it('also revokes a session the index does not list yet, from the sessions recorded on the user', async () => {
    // Prepare: a login a moment before the reset; the index lags and lists only s1.
    const item = await givenUser(alice);
    ddbMock.on(GetCommand, { Key: { pk: `USER#${alice.id}`, sk: 'USER' } }).resolves({ Item: { ...item, recentSessions: new Set([`s-new ${Date.now() - 200}`]) } });
    givenResetLink();
    givenSessionsOfAlice(['s1']);

    // Act
    await reset({ token, password: newPassword });

    // Assess
    expect(revokedSessions().sort()).toEqual(['SESSION#s-new', 'SESSION#s1']);
  });

  it('requires the credentials version the link was made for, so a link older than a later change is dead', async () => {
    // Prepare
    await givenUser(alice);
    givenResetLink({ credentialsVersion: 3 });

    // Act
    await reset({ token, password: newPassword });

    // Assess
    const [, user] = transactionItems();
    expect(user!.Update!.ConditionExpression).toBe('attribute_exists(pk) AND credentialsVersion = :version');
    expect(user!.Update!.ExpressionAttributeValues![':version']).toBe(3);
  });

  it.each([
    ['an unknown link', async () => {}],
    ['an expired link', async () => { await givenUser(alice); givenResetLink({ expiresAt: Date.now() - 1000 }); }],
    ['a link of a deleted account', async () => givenResetLink()],
  ])('refuses %s with 400 invalid_token and changes nothing', async (_, given) => {
    // Prepare
    await given();

    // Act
    const reply = await reset({ token, password: newPassword });

    // Assess
    expectProblem(reply, 400, 'invalid_token');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toEqual([]);
    expect(revokedSessions()).toEqual([]);
  });

  it.each([
    ['used meanwhile (or superseded by another reset)', ['ConditionalCheckFailed', 'None', 'None']],
    ['whose account changed its credentials meanwhile', ['None', 'ConditionalCheckFailed', 'None']],
  ])('refuses a link %s with 400 invalid_token and revokes nothing', async (_, reasons) => {
    // Prepare
    await givenUser(alice);
    givenResetLink();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(reasons));

    // Act
    const reply = await reset({ token, password: newPassword });

    // Assess
    expectProblem(reply, 400, 'invalid_token');
    expect(revokedSessions()).toEqual([]);
  });

  it('refuses a weak password with 400 validation_failed naming the field, and keeps the link', async () => {
    // Prepare
    await givenUser(alice);
    givenResetLink();

    // Act
    const reply = await reset({ token, password: 'password' });

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(json(reply).code).toBe('validation_failed');
    expect(json(reply).errors).toEqual([expect.objectContaining({ field: 'password' })]);
    expect(ddbMock.calls()).toEqual([]);
  });
});
