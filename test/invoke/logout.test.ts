import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/logout/handler';
import { awsError, ddbMock, givenSession, sessionKey } from '../support/aws';
import { apiEvent, lambdaContext, type ApiEventOptions } from '../support/events';
import { expectProblem, json, setCookies } from '../support/replies';

const caller = { userId: 'user-alice', sessionId: 'sess-alice-laptop-0001' };
const clearedCookie = 'refresh_token=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict';

const logout = (options: Omit<ApiEventOptions, 'path'> = {}) =>
  handler(apiEvent({ path: '/auth/logout', auth: caller, ...options }), lambdaContext);

const revokedKeys = () => ddbMock.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key);

describe('POST /auth/logout', () => {
  beforeEach(() => {
    givenSession({ id: caller.sessionId, userId: caller.userId });
  });

  it.each([
    ['revoked', { revokedAt: Date.now() - 1000 }],
    ['past its absolute end', { absoluteExpiresAt: Date.now() - 1000 }],
  ])('answers 401 unauthorized, revoking nothing, when the caller\'s own session is %s (the authorizer answered from its cache)', async (_case, state) => {
    // Prepare: the token still passed the authorizer's cached check, but its session ended since.
    givenSession({ id: caller.sessionId, userId: caller.userId, ...state });

    // Act
    const reply = await logout({ body: { scope: 'all' } });

    // Assess
    expectProblem(reply, 401, 'unauthorized');
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ Key: sessionKey(caller.sessionId), ConsistentRead: true });
  });

  it('ends the calling session: 204, the refresh cookie cleared, the session revoked with a conditional write', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({});

    // Act
    const reply = await logout({ body: { scope: 'session' } });

    // Assess
    expect(reply.statusCode).toBe(204);
    expect(reply.body).toBe('');
    expect(setCookies(reply)).toEqual([clearedCookie]);
    const writes = ddbMock.commandCalls(UpdateCommand);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.args[0].input).toMatchObject({
      TableName: 'auth-test',
      Key: sessionKey(caller.sessionId),
      UpdateExpression: 'SET revokedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
      ExpressionAttributeValues: { ':now': expect.any(Number) },
    });
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it.each([
    ['no body', {}],
    ['an empty body', { rawBody: '' }],
    ['an empty JSON object', { body: {} }],
  ])('ends only the calling session when sent %s', async (_case, options) => {
    ddbMock.on(UpdateCommand).resolves({});

    const reply = await logout(options);

    expect(reply.statusCode).toBe(204);
    expect(setCookies(reply)).toEqual([clearedCookie]);
    expect(revokedKeys()).toEqual([sessionKey(caller.sessionId)]);
  });

  it("with scope 'all' revokes every session of the user found through the sessions-by-user index, and the caller's", async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [{ id: 'sess-alice-phone-00001' }, { id: 'sess-alice-tablet-0001' }] });
    ddbMock.on(UpdateCommand).resolves({});

    const reply = await logout({ body: { scope: 'all' } });

    expect(reply.statusCode).toBe(204);
    expect(setCookies(reply)).toEqual([clearedCookie]);
    const [query] = ddbMock.commandCalls(QueryCommand);
    expect(query!.args[0].input).toMatchObject({
      TableName: 'auth-test',
      IndexName: 'sessions-by-user',
      KeyConditionExpression: 'gsi1pk = :user',
      ExpressionAttributeValues: { ':user': `USER#${caller.userId}` },
    });
    expect(revokedKeys()).toHaveLength(3);
    expect(revokedKeys()).toEqual(
      expect.arrayContaining([sessionKey('sess-alice-phone-00001'), sessionKey('sess-alice-tablet-0001'), sessionKey(caller.sessionId)]),
    );
    for (const call of ddbMock.commandCalls(UpdateCommand)) {
      expect(call.args[0].input).toMatchObject({ UpdateExpression: 'SET revokedAt = :now', ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)' });
    }
  });

  it("with scope 'all' follows every page of the index", async () => {
    const lastKey = { pk: 'SESSION#sess-alice-phone-00001', sk: 'SESSION', gsi1pk: `USER#${caller.userId}`, gsi1sk: 'SESSION#1' };
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ id: 'sess-alice-phone-00001' }], LastEvaluatedKey: lastKey })
      .resolves({ Items: [{ id: 'sess-alice-tablet-0001' }] });
    ddbMock.on(UpdateCommand).resolves({});

    const reply = await logout({ body: { scope: 'all' } });

    expect(reply.statusCode).toBe(204);
    const queries = ddbMock.commandCalls(QueryCommand);
    expect(queries).toHaveLength(2);
    expect(queries[1]!.args[0].input.ExclusiveStartKey).toEqual(lastKey);
    expect(revokedKeys()).toEqual(
      expect.arrayContaining([sessionKey('sess-alice-phone-00001'), sessionKey('sess-alice-tablet-0001'), sessionKey(caller.sessionId)]),
    );
  });

  it('still answers 204 and clears the cookie when the session was already revoked', async () => {
    ddbMock.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'));

    const reply = await logout();

    expect(reply.statusCode).toBe(204);
    expect(setCookies(reply)).toEqual([clearedCookie]);
  });

  it("rejects an unknown scope with 400 validation_failed naming 'scope', revoking nothing", async () => {
    const reply = await logout({ body: { scope: 'bogus' } });

    expect(reply.statusCode).toBe(400);
    expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
    expect(json(reply)).toMatchObject({ code: 'validation_failed', status: 400, errors: [{ field: 'scope' }] });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers 401 unauthorized when the authorizer context is missing, revoking nothing', async () => {
    const reply = await handler(apiEvent({ path: '/auth/logout', body: { scope: 'all' } }), lambdaContext);

    expectProblem(reply, 401, 'unauthorized');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('refuses a request from an origin not on the allowlist with 403 origin_not_allowed, revoking nothing', async () => {
    const reply = await logout({ headers: { Origin: 'https://evil.example' } });

    expect(reply.statusCode).toBe(403);
    expect(json(reply).code).toBe('origin_not_allowed');
    expect(setCookies(reply)).toEqual([]);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('answers an allowed origin with credentialed CORS headers', async () => {
    ddbMock.on(UpdateCommand).resolves({});

    const reply = await logout({ headers: { Origin: 'https://app.example.com' } });

    expect(reply.statusCode).toBe(204);
    expect(reply.headers).toMatchObject({ 'Access-Control-Allow-Origin': 'https://app.example.com', 'Access-Control-Allow-Credentials': 'true' });
  });

  it('answers 503 with Retry-After when DynamoDB throttles the revocation', async () => {
    ddbMock.on(UpdateCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    const reply = await logout();

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(json(reply).code).toBe('service_unavailable');
  });
});
