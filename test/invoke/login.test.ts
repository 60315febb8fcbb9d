import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/login/handler';
import { awsError, ddbMock, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, expectSignedIn, json, setCookies } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', username: 'Alice', password: 'correct horse battery' };
const login = (body: unknown, headers?: Record<string, string>) => handler(apiEvent({ path: '/auth/login', body, headers }), lambdaContext);

describe('POST /auth/login', () => {
  it('signs a verified user in by email with an access token and a refresh cookie', async () => {
    // Prepare
    await givenUser(alice);
    ddbMock.on(PutCommand).resolves({});

    // Act
    const reply = await login({ email: ' Alice@Example.com ', password: alice.password });

    // Assess
    const claims = expectSignedIn(reply, { id: alice.id, email: alice.email, username: 'Alice', createdAt: '2026-11-01T00:00:00.000Z' });
    const session = ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(session).toMatchObject({ userId: alice.id, generation: 0, gsi1pk: `USER#${alice.id}` });
    expect(claims.sid).toBe(session.id);
  });

  it('scopes the refresh cookie to the stage prefix when called on the execute-api URL, so the browser sends it back', async () => {
    await givenUser(alice);
    ddbMock.on(PutCommand).resolves({});

    const reply = await handler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password }, via: 'execute-api' }), lambdaContext);

    expect(setCookies(reply)[0]).toContain('; Path=/prod/auth;');
  });

  it('signs a user in by username, whatever its case', async () => {
    await givenUser(alice);
    ddbMock.on(PutCommand).resolves({});

    const reply = await login({ username: 'alice', password: alice.password });

    expect(reply.statusCode).toBe(200);
  });

  it('answers a wrong password and an unknown account with the same 401 invalid_credentials', async () => {
    await givenUser(alice);
    ddbMock.on(UpdateCommand).resolves({ Attributes: { failures: 1 } });

    const wrong = await login({ email: alice.email, password: 'not the password' });
    const unknown = await login({ email: 'nobody@example.com', password: 'not the password' });

    for (const reply of [wrong, unknown]) {
      expectProblem(reply, 401, 'invalid_credentials');
    }
    const counted = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input.Key);
    expect(counted).toEqual([
      { pk: `LOGINFAIL#user#${alice.id}`, sk: 'LOGINFAIL' },
      { pk: 'LOGINFAIL#email#nobody@example.com', sk: 'LOGINFAIL' },
    ]);
  });

  it('locks the account for 1 s at the fifth consecutive failure', async () => {
    await givenUser(alice);
    ddbMock.on(UpdateCommand, { UpdateExpression: 'ADD failures :one SET expiresAt = :expires' }).resolves({ Attributes: { failures: 5 } });
    ddbMock.on(UpdateCommand, { UpdateExpression: 'SET lockedUntil = :until' }).resolves({});

    const before = Date.now();
    const reply = await login({ email: alice.email, password: 'wrong again' });

    expect(reply.statusCode).toBe(401);
    const lock = ddbMock.commandCalls(UpdateCommand, { UpdateExpression: 'SET lockedUntil = :until' })[0]!.args[0].input;
    const until = lock.ExpressionAttributeValues![':until'] as number;
    expect(until - before).toBeGreaterThanOrEqual(1000);
    expect(until - Date.now()).toBeLessThanOrEqual(1000);
  });

  it('refuses even the right password while locked, with 429 too_many_attempts and Retry-After', async () => {
    await givenUser(alice);
    ddbMock
      .on(GetCommand, { Key: { pk: `LOGINFAIL#user#${alice.id}`, sk: 'LOGINFAIL' } })
      .resolves({ Item: { failures: 7, lockedUntil: Date.now() + 4_000 } });

    const reply = await login({ email: alice.email, password: alice.password });

    expect(reply.statusCode).toBe(429);
    expect(json(reply).code).toBe('too_many_attempts');
    expect(reply.headers?.['Retry-After']).toBe('4');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('resets the failure count after a successful login', async () => {
    await givenUser(alice);
    ddbMock.on(GetCommand, { Key: { pk: `LOGINFAIL#user#${alice.id}`, sk: 'LOGINFAIL' } }).resolves({ Item: { failures: 3 } });
    ddbMock.on(PutCommand).resolves({});
    ddbMock.on(DeleteCommand).resolves({});

    const reply = await login({ email: alice.email, password: alice.password });

    expect(reply.statusCode).toBe(200);
    expect(ddbMock.commandCalls(DeleteCommand)[0]!.args[0].input.Key).toEqual({ pk: `LOGINFAIL#user#${alice.id}`, sk: 'LOGINFAIL' });
  });

  it('answers 503 with Retry-After and no stack when DynamoDB throttles', async () => {
    ddbMock.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    const reply = await login({ email: alice.email, password: alice.password });

    expectProblem(reply, 503, 'service_unavailable');
    expect(reply.headers?.['Retry-After']).toBe('5');
  });

  it('rejects a body with neither email nor username as validation_failed naming the field', async () => {
    const reply = await login({ password: 'whatever' });

    expect(reply.statusCode).toBe(400);
    expect(json(reply)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'email' }] });
  });
});
