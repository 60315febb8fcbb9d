import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/verify/handler';
import { verifyPassword } from '../../shared/passwords';
import { routes } from '../../shared/routes';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, expectSignedIn, json, setCookies } from '../support/replies';

const token = 'vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';
const tokenHash = hashVerificationToken(token);
const choice = { token, password: 'correct horse battery', username: 'Alice' };
const verify = (body: unknown) => handler(apiEvent({ path: '/auth/verify', body }), lambdaContext);

const issuedAt = Date.now() - 60_000;

/** The mailer stored a sign-up link for alice@example.com whose token is `token`. */
function givenSignupLink(expiresAt = Date.now() + 3_600_000) {
  ddbMock
    .on(GetCommand, { Key: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' } })
    .resolves({ Item: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP', email: 'alice@example.com', issuedAt, expiresAt: Math.ceil(expiresAt / 1000) } });
}

const transactionItems = () => ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;

describe('POST /auth/verify', () => {
  it('creates the account with the password chosen now, consumes the link and signs in, all in one transaction', async () => {
    // Prepare
    givenSignupLink();

    // Act
    const reply = await verify(choice);

    // Assess
    const body = json(reply);
    const claims = expectSignedIn(reply, { id: body.user.id, email: 'alice@example.com', username: 'Alice', createdAt: body.user.createdAt, mfaEnabled: false });
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const [consume, email, user, session, addressFreed, username] = transactionItems();
    expect(consume!.Delete).toMatchObject({ Key: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' }, ExpressionAttributeValues: { ':email': 'alice@example.com' } });
    expect(consume!.Delete!.ConditionExpression).toBe('attribute_exists(pk) AND email = :email AND expiresAt > :now');
    expect(email!.Put).toMatchObject({ Item: { pk: 'EMAIL#alice@example.com', userId: body.user.id }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(user!.Put!.Item).toMatchObject({ pk: `USER#${body.user.id}`, email: 'alice@example.com', username: 'Alice' });
    expect(await verifyPassword(choice.password, user!.Put!.Item!.passwordHash as string)).toBe(true);
    expect(session!.Put!.Item).toMatchObject({ pk: `SESSION#${claims.sid}`, userId: body.user.id, generation: 0 });
    expect(username!.Put).toMatchObject({ Item: { pk: 'USERNAME#alice', userId: body.user.id }, ConditionExpression: 'attribute_not_exists(pk)' });
    // No account left this address after the link was made (else the link belongs to that account's history).
    expect(addressFreed!.ConditionCheck).toMatchObject({
      Key: { pk: 'ADDRESSFREED#alice@example.com', sk: 'ADDRESSFREED' },
      ConditionExpression: 'attribute_not_exists(pk) OR freedAt < :issuedAt',
      ExpressionAttributeValues: { ':issuedAt': issuedAt },
    });
    expect(JSON.stringify(ddbMock.calls().map((c) => c.args[0].input))).not.toContain(token);
  });

  it('creates an account without a username when none is given', async () => {
    givenSignupLink();

    const reply = await verify({ token, password: choice.password });

    expect(reply.statusCode).toBe(200);
    expect(json(reply).user.username).toBeUndefined();
    expect(transactionItems()).toHaveLength(5);
  });

  it.each([
    ['an unknown link', () => {}],
    ['an expired link', () => givenSignupLink(Date.now() - 1_000)],
  ])('refuses %s with 400 invalid_token, no cookie and no write', async (_, given) => {
    given();

    const reply = await verify(choice);

    expectProblem(reply, 400, 'invalid_token');
    expect(setCookies(reply)).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toEqual([]);
  });

  it.each([
    ['the link was used meanwhile', ['ConditionalCheckFailed', 'None', 'None', 'None', 'None', 'None']],
    ['the address got an account through another link', ['None', 'ConditionalCheckFailed', 'None', 'None', 'None', 'None']],
    ['an account left the address after the link was made', ['None', 'None', 'None', 'None', 'ConditionalCheckFailed', 'None']],
    ['the link was used and the username is taken too', ['ConditionalCheckFailed', 'None', 'None', 'None', 'None', 'ConditionalCheckFailed']],
  ])('answers 400 invalid_token when %s', async (_, reasons) => {
    givenSignupLink();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(reasons));

    const reply = await verify(choice);

    expectProblem(reply, 400, 'invalid_token');
    expect(setCookies(reply)).toEqual([]);
  });

  it('answers 409 username_taken naming the field, and the transaction (so the link) was not applied', async () => {
    givenSignupLink();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', 'None', 'None', 'None', 'ConditionalCheckFailed']));

    const reply = await verify(choice);

    expect(reply.statusCode).toBe(409);
    expect(json(reply)).toMatchObject({ code: 'username_taken', errors: [{ field: 'username' }] });
    expect(setCookies(reply)).toEqual([]);
  });

  it.each([
    ['a missing token', { password: choice.password }, 'token'],
    ['an empty token', { token: '', password: choice.password }, 'token'],
    ['a token that is not a string', { token: 12345, password: choice.password }, 'token'],
    ['no password', { token }, 'password'],
    ['a short password', { token, password: 'short' }, 'password'],
    ['a common password', { token, password: 'password123' }, 'password'],
    ['a malformed username', { token, password: choice.password, username: 'a b' }, 'username'],
  ])('rejects %s with 400 validation_failed before touching the link', async (_, body, field) => {
    givenSignupLink();

    const reply = await verify(body);

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field }] });
    expect(ddbMock.calls()).toEqual([]);
  });

  it('answers 503 with Retry-After and no cookie when DynamoDB is unavailable', async () => {
    givenSignupLink();
    ddbMock.on(TransactWriteCommand).rejects(awsError('InternalServerError', 500));

    const reply = await verify(choice);

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(setCookies(reply)).toEqual([]);
  });

  it('is reachable only by POST and reads the token only from the body, never from the link query string', async () => {
    givenSignupLink();
    const event = { ...apiEvent({ path: '/auth/verify', body: { password: choice.password } }), queryStringParameters: { token }, multiValueQueryStringParameters: { token: [token] } };

    const reply = await handler(event, lambdaContext);

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'token' }] });
    expect(ddbMock.calls()).toEqual([]);
    expect(routes.filter((r) => r.path === '/auth/verify').map((r) => r.method)).toEqual(['POST']);
  });
});
