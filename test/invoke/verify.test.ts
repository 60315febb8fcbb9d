import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/verify/handler';
import { routes } from '../../shared/routes';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, givenUser, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectSignedIn, json, setCookies } from '../support/replies';

const token = 'vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';
const tokenHash = hashVerificationToken(token);
const alice = { id: 'user-alice', email: 'alice@example.com', username: 'Alice', password: 'correct horse battery' };
const verify = (body: unknown) => handler(apiEvent({ path: '/auth/verify', body }), lambdaContext);

/** A pending account whose mailed link is `token`: the VERIFY item points at the user, whose row holds the link's hash. */
async function givenPendingUser(overrides: { verificationTokenHash?: string; verificationExpiresAt?: number; emailVerified?: boolean } = {}) {
  await givenUser({ ...alice, emailVerified: false, verificationTokenHash: tokenHash, verificationExpiresAt: Date.now() + 3_600_000, ...overrides });
  ddbMock.on(GetCommand, { Key: { pk: `VERIFY#${tokenHash}`, sk: 'VERIFY' } }).resolves({ Item: { userId: alice.id } });
}

const INVALID_TOKEN = {
  type: 'urn:serverless-auth:error:invalid_token',
  title: 'The verification link is invalid, expired or already used.',
  status: 400,
  code: 'invalid_token',
};

describe('POST /auth/verify', () => {
  it('activates the account, consumes the link and signs the user in with an access token and a refresh cookie', async () => {
    // Prepare
    await givenPendingUser();
    ddbMock.on(TransactWriteCommand).resolves({});

    // Act
    const reply = await verify({ token });

    // Assess
    const claims = expectSignedIn(reply, { id: alice.id, email: alice.email, username: 'Alice', emailVerified: true, createdAt: '2026-11-01T00:00:00.000Z' });

    const [transaction, ...others] = ddbMock.commandCalls(TransactWriteCommand);
    expect(others).toEqual([]);
    const [activate, consume, session] = transaction!.args[0].input.TransactItems!;
    expect(activate!.Update).toMatchObject({
      Key: { pk: `USER#${alice.id}`, sk: 'USER' },
      ConditionExpression: 'verificationTokenHash = :token',
      ExpressionAttributeValues: { ':token': tokenHash, ':true': true },
    });
    expect(activate!.Update!.UpdateExpression).toMatch(/SET emailVerified = :true/);
    expect(consume!.Delete!.Key).toEqual({ pk: `VERIFY#${tokenHash}`, sk: 'VERIFY' });
    expect(session!.Put!.Item).toMatchObject({ pk: `SESSION#${claims.sid}`, userId: alice.id, generation: 0, gsi1pk: `USER#${alice.id}` });
    expect(JSON.stringify(transaction!.args[0].input)).not.toContain(token);
  });

  it.each([
    ['an unknown link', async () => {}],
    ['an expired link', () => givenPendingUser({ verificationExpiresAt: Date.now() - 1_000 })],
    ['a link superseded by a newer one', () => givenPendingUser({ verificationTokenHash: hashVerificationToken('vt1_a-newer-link') })],
    ['a link of an account that is already verified', () => givenPendingUser({ emailVerified: true })],
  ])('refuses %s with 400 invalid_token, no cookie and no write', async (_, given) => {
    await given();

    const reply = await verify({ token });

    expect(reply.statusCode).toBe(400);
    expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
    expect(json(reply)).toEqual(INVALID_TOKEN);
    expect(setCookies(reply)).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toEqual([]);
  });

  it('refuses a link that a simultaneous verification used first with 400 invalid_token and no cookie', async () => {
    await givenPendingUser();
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None', 'None']));

    const reply = await verify({ token });

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toEqual(INVALID_TOKEN);
    expect(setCookies(reply)).toEqual([]);
  });

  it('answers 503 with Retry-After and no cookie when DynamoDB is unavailable', async () => {
    await givenPendingUser();
    ddbMock.on(TransactWriteCommand).rejects(awsError('InternalServerError', 500));

    const reply = await verify({ token });

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(json(reply).code).toBe('service_unavailable');
    expect(setCookies(reply)).toEqual([]);
  });

  it.each([
    ['a missing token', {}],
    ['an empty token', { token: '' }],
    ['a token that is not a string', { token: 12345 }],
  ])('rejects %s with 400 validation_failed naming the token field', async (_, body) => {
    const reply = await verify(body);

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'token' }] });
    expect(ddbMock.calls()).toEqual([]);
  });

  it('is reachable only by POST and reads the token only from the body, never from the link query string', async () => {
    await givenPendingUser();
    const event = { ...apiEvent({ path: '/auth/verify' }), queryStringParameters: { token }, multiValueQueryStringParameters: { token: [token] } };

    const reply = await handler(event, lambdaContext);

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'token' }] });
    expect(ddbMock.calls()).toEqual([]);
    expect(routes.filter((r) => r.path === '/auth/verify').map((r) => r.method)).toEqual(['POST']);
  });
});
