import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as listHandler } from '../../functions/list-sessions/handler';
import { handler as loginHandler } from '../../functions/login/handler';
import { handler as refreshHandler } from '../../functions/refresh/handler';
import { handler as revokeDeviceHandler } from '../../functions/revoke-device/handler';
import { handler as revokeHandler } from '../../functions/revoke-session/handler';
import { handler as verifyHandler } from '../../functions/verify/handler';
import { deriveRefreshToken } from '../../shared/tokens/refresh-token';
import { hashVerificationToken } from '../../shared/tokens/verification-token';
import { awsError, ddbMock, givenRotationSucceeds, givenSession, givenUser, sessionItem, sessionKey, type StoredSession } from '../support/aws';
import { apiEvent, lambdaContext, type ApiEventOptions } from '../support/events';
import { expectProblem, json, setCookies } from '../support/replies';

const alice = 'user-alice';
const mallory = 'user-mallory';
const caller = { userId: alice, sessionId: 'sess-alice-laptop-0001' };
const clearedCookie = 'refresh_token=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict';
const MINUTE = 60_000;

const list = (options: Partial<ApiEventOptions> = {}) =>
  listHandler(apiEvent({ method: 'GET', path: '/auth/sessions', auth: caller, ...options }), lambdaContext);

const revoke = (id: string | undefined, options: Partial<ApiEventOptions> = {}) =>
  revokeHandler(
    apiEvent({
      method: 'DELETE',
      path: `/auth/sessions/${id ?? ''}`,
      resource: '/auth/sessions/{id}',
      ...(id === undefined ? {} : { pathParameters: { id } }),
      auth: caller,
      ...options,
    }),
    lambdaContext,
  );

const onIndex = { IndexName: 'sessions-by-user' };

/** The index answers these ids (it projects only id and revokedAt); BatchGetItem answers these items. */
function givenIndexAndItems(indexIds: string[], sessions: StoredSession[]) {
  ddbMock.on(QueryCommand, onIndex).resolves({ Items: indexIds.map((id) => ({ id })) });
  ddbMock.on(BatchGetCommand).resolves({ Responses: { 'auth-test': sessions.map(sessionItem) } });
}

const batchGetKeys = () => ddbMock.commandCalls(BatchGetCommand).flatMap((call) => call.args[0].input.RequestItems!['auth-test']!.Keys!);

/** Alice's user item (credentialsVersion 2) and her live calling session. */
beforeEach(() => {
  ddbMock.on(GetCommand, { Key: { pk: `USER#${alice}`, sk: 'USER' } }).resolves({
    Item: { pk: `USER#${alice}`, sk: 'USER', id: alice, email: 'alice@example.com', passwordHash: 'unused', createdAt: '2026-11-01T00:00:00.000Z', credentialsVersion: 2 },
  });
  givenSession({ id: caller.sessionId, userId: alice });
});

/** A device as it is recorded on the user item: attribute `device#<id>`. */
function deviceAttribute(id: string, overrides: Record<string, unknown> = {}) {
  return {
    [`device#${id}`]: { createdAt: Date.now() - 10 * MINUTE, credentialsVersion: 2, expiresAt: Date.now() + 86_400_000, userAgent: 'Firefox/133', ipAddress: '198.51.100.4', ...overrides },
  };
}

describe('GET /auth/sessions', () => {
  it('lists the devices the account trusts, newest first, leaving out those from before the last credentials change', async () => {
    // Prepare
    const now = Date.now();
    givenIndexAndItems([caller.sessionId], [{ id: caller.sessionId, userId: alice }]);
    ddbMock.on(GetCommand, { Key: { pk: `USER#${alice}`, sk: 'USER' } }).resolves({
      Item: {
        pk: `USER#${alice}`, sk: 'USER', id: alice, email: 'alice@example.com', passwordHash: 'unused', createdAt: '2026-11-01T00:00:00.000Z', credentialsVersion: 2,
        ...deviceAttribute('dev-alice-laptop-00001', { createdAt: now - 60 * MINUTE }),
        ...deviceAttribute('dev-alice-phone-000001', { createdAt: now - 5 * MINUTE, userAgent: 'Safari/18', ipAddress: '2001:db8::1' }),
        // Signed in before a password reset (credentialsVersion 1): no longer trusted, not shown.
        ...deviceAttribute('dev-alice-stolen-00001', { credentialsVersion: 1 }),
      },
    });

    // Act
    const reply = await list();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(json(reply).devices).toEqual([
      { id: 'dev-alice-phone-000001', createdAt: new Date(now - 5 * MINUTE).toISOString(), userAgent: 'Safari/18', ipAddress: '2001:db8::1' },
      { id: 'dev-alice-laptop-00001', createdAt: new Date(now - 60 * MINUTE).toISOString(), userAgent: 'Firefox/133', ipAddress: '198.51.100.4' },
    ]);
    // The devices came with the user item, read consistently: no other read for them.
    expect(ddbMock.commandCalls(GetCommand, { Key: { pk: `USER#${alice}`, sk: 'USER' } })[0]!.args[0].input).toMatchObject({ ConsistentRead: true });
    expect(ddbMock.commandCalls(QueryCommand).filter((call) => call.args[0].input.IndexName === undefined)).toEqual([]);
  });

  it("answers 401 unauthorized when the caller's own session was revoked meanwhile (the authorizer answered from its cache)", async () => {
    givenIndexAndItems(['sess-alice-phone-00001'], [
      { id: caller.sessionId, userId: alice, revokedAt: Date.now() - MINUTE },
      { id: 'sess-alice-phone-00001', userId: alice },
    ]);

    const reply = await list();

    expectProblem(reply, 401, 'unauthorized');
  });

  it("lists the caller's sessions newest first with ISO times, device and the current one marked", async () => {
    // Prepare
    const now = Date.now();
    givenIndexAndItems(
      ['sess-alice-laptop-0001', 'sess-alice-phone-00001'],
      [
        { id: 'sess-alice-laptop-0001', userId: alice, createdAt: now - 60 * MINUTE, lastUsedAt: now - MINUTE, userAgent: 'Firefox/133', ipAddress: '198.51.100.4' },
        { id: 'sess-alice-phone-00001', userId: alice, createdAt: now - 5 * MINUTE, lastUsedAt: now - 2 * MINUTE, userAgent: 'Safari/18', ipAddress: '2001:db8::1' },
      ],
    );

    // Act
    const reply = await list();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(json(reply)).toEqual({
      devices: [],
      sessions: [
        {
          id: 'sess-alice-phone-00001', current: false,
          createdAt: new Date(now - 5 * MINUTE).toISOString(), lastUsedAt: new Date(now - 2 * MINUTE).toISOString(),
          userAgent: 'Safari/18', ipAddress: '2001:db8::1',
        },
        {
          id: 'sess-alice-laptop-0001', current: true,
          createdAt: new Date(now - 60 * MINUTE).toISOString(), lastUsedAt: new Date(now - MINUTE).toISOString(),
          userAgent: 'Firefox/133', ipAddress: '198.51.100.4',
        },
      ],
    });
  });

  it('finds the sessions through the sessions-by-user index and reads them with one consistent BatchGetItem, never a scan', async () => {
    givenIndexAndItems(['sess-alice-laptop-0001', 'sess-alice-phone-00001'], [{ id: 'sess-alice-laptop-0001', userId: alice }]);

    await list();

    const [query] = ddbMock.commandCalls(QueryCommand);
    expect(query!.args[0].input).toMatchObject({
      TableName: 'auth-test',
      IndexName: 'sessions-by-user',
      KeyConditionExpression: 'gsi1pk = :user',
      FilterExpression: 'attribute_not_exists(revokedAt)',
      ExpressionAttributeValues: { ':user': `USER#${alice}` },
    });
    const [batch] = ddbMock.commandCalls(BatchGetCommand);
    expect(batch!.args[0].input.RequestItems).toEqual({
      'auth-test': { Keys: [sessionKey('sess-alice-laptop-0001'), sessionKey('sess-alice-phone-00001')], ConsistentRead: true },
    });
    expect(ddbMock.commandCalls(ScanCommand)).toHaveLength(0);
    // Only the user item (its credentialsVersion decides which devices are trusted); the sessions come in the batch.
    expect(ddbMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([{ pk: `USER#${alice}`, sk: 'USER' }]);
  });

  it('leaves out revoked, idle-expired and past-their-end sessions, and anything of another user', async () => {
    const now = Date.now();
    givenIndexAndItems(
      ['sess-alice-laptop-0001', 'sess-alice-revoked-001', 'sess-alice-idle-00001', 'sess-alice-old-000001'],
      [
        { id: 'sess-alice-laptop-0001', userId: alice },
        // The index lags: it did not see this revocation yet.
        { id: 'sess-alice-revoked-001', userId: alice, revokedAt: now - MINUTE },
        { id: 'sess-alice-idle-00001', userId: alice, lastUsedAt: now - 31 * MINUTE },
        { id: 'sess-alice-old-000001', userId: alice, lastUsedAt: now - MINUTE, absoluteExpiresAt: now - 1 },
        { id: 'sess-mallory-0000001', userId: mallory },
      ],
    );

    const reply = await list();

    expect(json(reply).sessions.map((s: { id: string }) => s.id)).toEqual(['sess-alice-laptop-0001']);
  });

  it('includes the current session even when the eventually consistent index does not show it yet', async () => {
    givenIndexAndItems([], [{ id: caller.sessionId, userId: alice }]);

    const reply = await list();

    expect(batchGetKeys()).toEqual([sessionKey(caller.sessionId)]);
    expect(json(reply).sessions).toEqual([expect.objectContaining({ id: caller.sessionId, current: true })]);
  });

  it('shows null for the device of a session that recorded none', async () => {
    givenIndexAndItems([caller.sessionId], [{ id: caller.sessionId, userId: alice }]);

    const reply = await list();

    expect(json(reply).sessions[0]).toMatchObject({ userAgent: null, ipAddress: null });
  });

  it('follows every page of the index and reads more than 100 sessions in batches of 100', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `sess-alice-${String(i).padStart(11, '0')}`);
    const lastKey = { pk: `SESSION#${ids[99]}`, sk: 'SESSION', gsi1pk: `USER#${alice}`, gsi1sk: 'SESSION#1' };
    ddbMock
      .on(QueryCommand, onIndex)
      .resolvesOnce({ Items: ids.slice(0, 100).map((id) => ({ id })), LastEvaluatedKey: lastKey })
      .resolves({ Items: ids.slice(100).map((id) => ({ id })) });
    ddbMock.on(BatchGetCommand).callsFake((input) => ({
      Responses: { 'auth-test': input.RequestItems['auth-test'].Keys.map((key: { pk: string }) => sessionItem({ id: key.pk.slice('SESSION#'.length), userId: alice })) },
    }));

    const reply = await list();

    expect(ddbMock.commandCalls(QueryCommand, onIndex)[1]!.args[0].input.ExclusiveStartKey).toEqual(lastKey);
    expect(ddbMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!['auth-test']!.Keys!.length)).toEqual([100, 51]);
    expect(json(reply).sessions).toHaveLength(151);
  });

  it('asks again for keys DynamoDB left unprocessed', async () => {
    ddbMock.on(QueryCommand, onIndex).resolves({ Items: [{ id: caller.sessionId }, { id: 'sess-alice-phone-00001' }] });
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { 'auth-test': [sessionItem({ id: caller.sessionId, userId: alice })] },
        UnprocessedKeys: { 'auth-test': { Keys: [sessionKey('sess-alice-phone-00001')] } },
      })
      .resolves({ Responses: { 'auth-test': [sessionItem({ id: 'sess-alice-phone-00001', userId: alice })] } });

    const reply = await list();

    expect(ddbMock.commandCalls(BatchGetCommand)[1]!.args[0].input.RequestItems!['auth-test']!.Keys).toEqual([sessionKey('sess-alice-phone-00001')]);
    expect(json(reply).sessions).toHaveLength(2);
  });

  it('answers 503 with Retry-After when DynamoDB keeps leaving keys unprocessed', async () => {
    ddbMock.on(QueryCommand, onIndex).resolves({ Items: [{ id: caller.sessionId }] });
    ddbMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { 'auth-test': { Keys: [sessionKey(caller.sessionId)] } } });

    const reply = await list();

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(json(reply).code).toBe('service_unavailable');
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(4);
  });

  it('answers 503 with Retry-After when DynamoDB throttles the index query', async () => {
    ddbMock.on(QueryCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    const reply = await list();

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
  });

  it('answers 401 unauthorized when the authorizer context is missing, reading nothing', async () => {
    const reply = await listHandler(apiEvent({ method: 'GET', path: '/auth/sessions' }), lambdaContext);

    expectProblem(reply, 401, 'unauthorized');
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('DELETE /auth/sessions/{id}', () => {
  const otherDevice = 'sess-alice-phone-00001';
  const revokeWrites = () => ddbMock.commandCalls(UpdateCommand);

  it("revokes another live session of the caller with a conditional write: 204, the caller's cookie untouched", async () => {
    // Prepare
    givenSession({ id: otherDevice, userId: alice });

    // Act
    const reply = await revoke(otherDevice);

    // Assess
    expect(reply.statusCode).toBe(204);
    expect(reply.body).toBe('');
    expect(setCookies(reply)).toEqual([]);
    expect(revokeWrites()).toHaveLength(1);
    expect(revokeWrites()[0]!.args[0].input).toMatchObject({
      Key: sessionKey(otherDevice),
      UpdateExpression: 'SET revokedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
    });
  });

  it('revokes the current session and clears its refresh cookie, like logout', async () => {
    givenSession({ id: caller.sessionId, userId: alice });

    const reply = await revoke(caller.sessionId);

    expect(reply.statusCode).toBe(204);
    expect(setCookies(reply)).toEqual([clearedCookie]);
    expect(revokeWrites()[0]!.args[0].input.Key).toEqual(sessionKey(caller.sessionId));
  });

  it("answers another user's session exactly like an unknown id: 404 not_found, the same reads, nothing written", async () => {
    // Prepare
    givenSession({ id: 'sess-mallory-000000001', userId: mallory });

    // Act
    const foreign = await revoke('sess-mallory-000000001');
    const foreignCalls = ddbMock.calls().map((call) => call.args[0].constructor.name);
    ddbMock.resetHistory();
    const unknown = await revoke('sess-nobody-0000000001');
    const unknownCalls = ddbMock.calls().map((call) => call.args[0].constructor.name);

    // Assess
    expectProblem(foreign, 404, 'not_found');
    expectProblem(unknown, 404, 'not_found');
    expect(foreign.body).toBe(unknown.body);
    expect(foreign.headers).toEqual(unknown.headers);
    // The caller's own session (re-checked) and the one named.
    expect(foreignCalls).toEqual(['GetCommand', 'GetCommand']);
    expect(unknownCalls).toEqual(foreignCalls);
  });

  it.each([
    ['2,100 characters', 'a'.repeat(2100)],
    ['21 characters', 'sess-alice-phone-0000'],
    ['a character outside base64url', 'sess-alice-phone-0000!'],
  ])('answers 404 not_found for an id of %s without calling DynamoDB (a key over 2,048 bytes would fail there)', async (_case, id) => {
    const reply = await revoke(id);

    expectProblem(reply, 404, 'not_found');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it("answers 401 unauthorized, writing nothing, when the caller's own session was revoked meanwhile (the authorizer answered from its cache)", async () => {
    // Prepare: a reset revoked the token's session; the attacker holding it aims at the owner's new session.
    givenSession({ id: caller.sessionId, userId: alice, revokedAt: Date.now() - 5000 });
    givenSession({ id: otherDevice, userId: alice });

    // Act
    const reply = await revoke(otherDevice);

    // Assess
    expectProblem(reply, 401, 'unauthorized');
    expect(revokeWrites()).toHaveLength(0);
  });

  it.each([
    ['revoked', { revokedAt: Date.now() - MINUTE }],
    ['idle for longer than the idle timeout', { lastUsedAt: Date.now() - 31 * MINUTE }],
    ['past its absolute end', { absoluteExpiresAt: Date.now() - 1 }],
  ])('answers 404 not_found for an own session that is %s, writing nothing', async (_case, overrides) => {
    givenSession({ id: otherDevice, userId: alice, ...overrides });

    const reply = await revoke(otherDevice);

    expectProblem(reply, 404, 'not_found');
    expect(revokeWrites()).toHaveLength(0);
  });

  it('answers 404 not_found when the path carries no id', async () => {
    const reply = await revoke(undefined);

    expectProblem(reply, 404, 'not_found');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('answers 404 not_found, not an error, for an id no session could have', async () => {
    const reply = await revoke('../../USER#user-alice');

    expectProblem(reply, 404, 'not_found');
    expect(revokeWrites()).toHaveLength(0);
  });

  it('still answers 204 when a simultaneous request revoked the session between the read and the write', async () => {
    givenSession({ id: otherDevice, userId: alice });
    ddbMock.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'));

    const reply = await revoke(otherDevice);

    expect(reply.statusCode).toBe(204);
  });

  it('answers 401 unauthorized when the authorizer context is missing, touching nothing', async () => {
    const reply = await revokeHandler(
      apiEvent({ method: 'DELETE', path: `/auth/sessions/${otherDevice}`, resource: '/auth/sessions/{id}', pathParameters: { id: otherDevice } }),
      lambdaContext,
    );

    expectProblem(reply, 401, 'unauthorized');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('refuses a request from an origin not on the allowlist with 403 origin_not_allowed, touching nothing', async () => {
    const reply = await revoke(otherDevice, { headers: { Origin: 'https://evil.example' } });

    expectProblem(reply, 403, 'origin_not_allowed');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('answers 503 with Retry-After when DynamoDB throttles the revocation', async () => {
    givenSession({ id: otherDevice, userId: alice });
    ddbMock.on(UpdateCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    const reply = await revoke(otherDevice);

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
  });
});

describe('DELETE /auth/devices/{id}', () => {
  const device = 'dev-alice-phone-000001';
  const revokeDevice = (id: string, options: Partial<ApiEventOptions> = {}) =>
    revokeDeviceHandler(
      apiEvent({ method: 'DELETE', path: `/auth/devices/${id}`, resource: '/auth/devices/{id}', pathParameters: { id }, auth: caller, ...options }),
      lambdaContext,
    );
  const removals = () => ddbMock.commandCalls(UpdateCommand);

  it("forgets one of the caller's devices by removing it, conditionally, from the caller's own user item: 204", async () => {
    const reply = await revokeDevice(device);

    expect(reply.statusCode).toBe(204);
    expect(removals()).toHaveLength(1);
    expect(removals()[0]!.args[0].input).toMatchObject({
      Key: { pk: `USER#${alice}`, sk: 'USER' }, UpdateExpression: 'REMOVE #device', ConditionExpression: 'attribute_exists(#device)', ExpressionAttributeNames: { '#device': `device#${device}` },
    });
  });

  it('answers 404 not_found for a device the caller does not have (another user\'s is on another user item: never reachable)', async () => {
    ddbMock.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'));

    const reply = await revokeDevice(device);

    expectProblem(reply, 404, 'not_found');
  });

  it('answers 404 not_found for an id of the wrong shape without calling DynamoDB', async () => {
    const reply = await revokeDevice('x'.repeat(2100));

    expectProblem(reply, 404, 'not_found');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it("answers 401 unauthorized, forgetting nothing, when the caller's own session was revoked meanwhile", async () => {
    givenSession({ id: caller.sessionId, userId: alice, revokedAt: Date.now() - 5000 });

    const reply = await revokeDevice(device);

    expectProblem(reply, 401, 'unauthorized');
    expect(removals()).toHaveLength(0);
  });

  it('refuses a request from an origin not on the allowlist with 403 origin_not_allowed, touching nothing', async () => {
    const reply = await revokeDevice(device, { headers: { Origin: 'https://evil.example' } });

    expectProblem(reply, 403, 'origin_not_allowed');
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

/** The session item login wrote (the throttle writes its counter through PutItem too). */
/** The session a login wrote: in the transaction that starts it. */
const storedSessionItem = () =>
  ddbMock.commandCalls(TransactWriteCommand).flatMap((call) => call.args[0].input.TransactItems!).map((item) => item.Put?.Item).find((item) => item?.sk === 'SESSION')!;

describe('the device a session records', () => {
  const device = { headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', 'X-Forwarded-For': '6.6.6.6' }, sourceIp: '198.51.100.23' };
  const password = 'correct horse battery';

  it("login stores the User-Agent and the gateway's source IP, never the client-written X-Forwarded-For", async () => {
    await givenUser({ id: alice, email: 'alice@example.com', password });
    ddbMock.on(PutCommand).resolves({});

    const reply = await loginHandler(apiEvent({ path: '/auth/login', body: { email: 'alice@example.com', password }, ...device }), lambdaContext);

    expect(reply.statusCode).toBe(200);
    const session = storedSessionItem();
    expect(session).toMatchObject({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', ipAddress: '198.51.100.23' });
    expect(JSON.stringify(session)).not.toContain('6.6.6.6');
  });

  it('login stores a hostile User-Agent without control characters and cut to 256 characters', async () => {
    await givenUser({ id: alice, email: 'alice@example.com', password });
    ddbMock.on(PutCommand).resolves({});
    const hostile = `Evil\r\nSet-Cookie: x=1\u0000\u202e${'A'.repeat(1000)}`;

    await loginHandler(apiEvent({ path: '/auth/login', body: { email: 'alice@example.com', password }, headers: { 'User-Agent': hostile } }), lambdaContext);

    const { userAgent } = storedSessionItem();
    expect(userAgent).toMatch(/^Evil Set-Cookie: x=1 A+$/);
    expect(userAgent).toHaveLength(256);
  });

  it('verify stores the device of the first session in the account-creating transaction', async () => {
    const token = 'vt1_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';
    const tokenHash = hashVerificationToken(token);
    ddbMock.on(GetCommand, { Key: { pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' } }).resolves({ Item: { email: 'alice@example.com', expiresAt: Math.ceil(Date.now() / 1000) + 3600 } });
    ddbMock.on(TransactWriteCommand).resolves({});

    const reply = await verifyHandler(apiEvent({ path: '/auth/verify', body: { token, password }, ...device }), lambdaContext);

    expect(reply.statusCode).toBe(200);
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    const session = items.map((item) => item.Put?.Item).find((item) => item?.sk === 'SESSION');
    expect(session).toMatchObject({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', ipAddress: '198.51.100.23' });
  });

  it("refresh records the refreshing device in the rotation's conditional write", async () => {
    givenRotationSucceeds({ id: caller.sessionId, userId: alice, generation: 2, userAgent: 'Old/1.0', ipAddress: '192.0.2.1' });

    const reply = await refreshHandler(
      apiEvent({ path: '/auth/refresh', ...device, headers: { ...device.headers, Cookie: `refresh_token=${await deriveRefreshToken(caller.sessionId, 2)}` } }),
      lambdaContext,
    );

    expect(reply.statusCode).toBe(200);
    const [write] = ddbMock.commandCalls(UpdateCommand);
    expect(write!.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':userAgent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
      ':ipAddress': '198.51.100.23',
    });
  });
});
