import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/login/handler';
import { FAILURE_MEMORY_SECONDS } from '../../shared/auth/throttle';
import { verifyPassword } from '../../shared/passwords';
import { attemptsCounted, awsError, ddbMock, givenAttempts, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { cookieValue, expectProblem, expectSignedIn, json, setCookies } from '../support/replies';

// The real hashing, watched: a refused attempt must never reach it.
vi.mock('../../shared/passwords', { spy: true });
beforeEach(() => {
  vi.mocked(verifyPassword).mockClear();
});

const alice = { id: 'user-alice', email: 'alice@example.com', username: 'Alice', password: 'correct horse battery' };
const login = (body: unknown, headers?: Record<string, string>) => handler(apiEvent({ path: '/auth/login', body, headers }), lambdaContext);

const attemptsKey = (key: string) => ({ pk: `ATTEMPTS#${key}`, sk: 'ATTEMPTS' });
const aliceByEmail = attemptsKey(`login#email#${alice.email}`);
/** A stored attempt counter as the DynamoDB adapter writes it. */
const counter = (failures: number, extra: { lockedUntil?: number } = {}, key = aliceByEmail) => ({
  ...key, failures, version: failures, expiresAt: Math.ceil(Date.now() / 1000) + FAILURE_MEMORY_SECONDS, ...extra,
});
/** The compare-and-set writes of counters (the attempts that needed a decision: the one that locks, say). */
const attemptPuts = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input).filter((input) => String(input.Item?.pk).startsWith('ATTEMPTS#'));
/** What successful logins wrote: everything of one login is one transaction. */
const transactionItems = () => ddbMock.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems!);
const sessionWrites = () => transactionItems().flatMap((item) => (String(item.Put?.Item?.pk).startsWith('SESSION#') ? [item.Put!.Item!] : []));
/** The devices successful logins recorded: each is an attribute `device#<id>` set on the user item, in the login's transaction. */
const deviceWrites = () =>
  transactionItems().flatMap((item) => {
    const update = item.Update;
    const record = update?.ExpressionAttributeValues?.[':newDevice'] as Record<string, unknown> | undefined;
    return update && record ? [{ key: update.Key, attribute: update.ExpressionAttributeNames!['#newDevice']!, ...record }] : [];
  });
/** The device attributes successful logins removed from the user item (evicted devices). */
const forgottenDevices = () =>
  transactionItems().flatMap((item) => Object.entries(item.Update?.ExpressionAttributeNames ?? {}).flatMap(([name, attribute]) => (name.startsWith('#forgetDevice') ? [attribute] : [])));
const deletedKeys = (prefix: string) => transactionItems().flatMap((item) => (item.Delete && `${String(item.Delete.Key!.pk)}|${String(item.Delete.Key!.sk)}`.includes(prefix) ? [item.Delete.Key!] : []));

/**
 * The device cookie a successful login hands out, as the browser would send it back; the device
 * that login recorded is on the user item the table answers from now on (unless `remembered` is
 * false). Answers the cookie and that user item.
 */
async function deviceCookieOfALogin(userItem: Record<string, unknown>, remembered = true): Promise<{ cookie: string; userItem: Record<string, unknown> }> {
  const reply = await login({ email: alice.email, password: alice.password });
  expect(reply.statusCode).toBe(200);
  const [{ key: _key, attribute, ...record }] = deviceWrites() as [ReturnType<typeof deviceWrites>[number]];
  const stored = remembered ? { ...userItem, [attribute]: record } : userItem;
  ddbMock.on(GetCommand, { Key: { pk: userItem.pk, sk: userItem.sk } }).resolves({ Item: stored });
  ddbMock.resetHistory();
  vi.mocked(verifyPassword).mockClear();
  return { cookie: `device=${cookieValue(reply, 'device')!}`, userItem: stored };
}

describe('POST /auth/login', () => {
  it('signs a verified user in by email with an access token and a refresh cookie', async () => {
    // Prepare
    await givenUser(alice);
    ddbMock.on(PutCommand).resolves({});

    // Act
    const reply = await login({ email: ' Alice@Example.com ', password: alice.password });

    // Assess
    const claims = expectSignedIn(reply, { id: alice.id, email: alice.email, username: 'Alice', createdAt: '2026-11-01T00:00:00.000Z', mfaEnabled: false });
    const session = sessionWrites()[0]!;
    expect(session).toMatchObject({ userId: alice.id, generation: 0, gsi1pk: `USER#${alice.id}` });
    expect(claims.sid).toBe(session.id);
  });

  it("copies the user's roles onto the session and into the access token", async () => {
    await givenUser({ ...alice, extra: { roles: ['admin'] } });
    ddbMock.on(PutCommand).resolves({});

    const reply = await login({ email: alice.email, password: alice.password });

    const claims = expectSignedIn(reply, { id: alice.id, email: alice.email, username: 'Alice', createdAt: '2026-11-01T00:00:00.000Z', mfaEnabled: false });
    expect(claims.roles).toEqual(['admin']);
    expect(sessionWrites()[0]).toMatchObject({ roles: ['admin'] });
  });

  it('answers a disabled account 403 account_disabled only after the right password, starting no session', async () => {
    await givenUser({ ...alice, extra: { disabled: true } });
    ddbMock.on(PutCommand).resolves({});

    const wrong = await login({ email: alice.email, password: 'not the password' });
    const right = await login({ email: alice.email, password: alice.password });

    expectProblem(wrong, 401, 'invalid_credentials');
    expectProblem(right, 403, 'account_disabled');
    expect(sessionWrites()).toHaveLength(0);
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

  it('answers a wrong password and an unknown account with the same 401 invalid_credentials, counted on the identifier as typed', async () => {
    await givenUser(alice);

    const wrong = await login({ email: alice.email, password: 'not the password' });
    const unknown = await login({ email: 'nobody@example.com', password: 'not the password' });
    const byName = await login({ username: ' ALICE ', password: 'not the password' });

    for (const reply of [wrong, unknown, byName]) {
      expectProblem(reply, 401, 'invalid_credentials');
    }
    expect(attemptsCounted()).toEqual([
      `ATTEMPTS#login#email#${alice.email}`,
      'ATTEMPTS#login#email#nobody@example.com',
      'ATTEMPTS#login#username#alice',
    ]);
  });

  it('counts the attempt with one conditional write before the password is hashed', async () => {
    await givenUser(alice);
    let countedBeforeHashing: string[] | undefined;
    vi.mocked(verifyPassword).mockImplementationOnce(async (...args) => {
      countedBeforeHashing = attemptsCounted();
      return (await vi.importActual<typeof import('../../shared/passwords')>('../../shared/passwords')).verifyPassword(...args);
    });

    const reply = await login({ email: alice.email, password: 'not the password' });

    expect(reply.statusCode).toBe(401);
    expect(countedBeforeHashing).toEqual([aliceByEmail.pk]);
    const counterWrites = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input).filter((input) => input.Key?.pk === aliceByEmail.pk);
    expect(counterWrites).toEqual([
      expect.objectContaining({
        UpdateExpression: expect.stringContaining('SET failures = if_not_exists(failures, :zero) + :one, version = if_not_exists(version, :zero) + :one'),
        ConditionExpression: expect.stringMatching(/^attribute_not_exists\(pk\) OR \(failures < :below /),
        ExpressionAttributeValues: expect.objectContaining({ ':below': 4 }),
        ReturnValues: 'ALL_NEW',
      }),
    ]);
    expect(attemptPuts()).toEqual([]);
  });

  it('sets the 1 s lock in the same write as the fifth attempt, keeping the window closed until its outcome is written', async () => {
    await givenUser(alice);
    givenAttempts(counter(4));

    const before = Date.now();
    const reply = await login({ email: alice.email, password: 'wrong again' });

    expect(reply.statusCode).toBe(401);
    const [write] = attemptPuts();
    expect(write!.ConditionExpression).toBe(
      'version = :seen AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now) AND (attribute_not_exists(settlesBy) OR settlesBy <= :now)',
    );
    expect(write!.ExpressionAttributeValues![':seen']).toBe(4);
    expect(write!.Item).toMatchObject({ failures: 5, version: 5 });
    const until = write!.Item!.lockedUntil as number;
    expect(until - before).toBeGreaterThanOrEqual(1000);
    expect(until - Date.now()).toBeLessThanOrEqual(1000);
    const [extension] = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input).filter((input) => input.UpdateExpression?.startsWith('SET lockedUntil'));
    expect(write!.Item!.settlesBy).toBeGreaterThan(until);
    expect(extension).toMatchObject({
      Key: aliceByEmail,
      UpdateExpression: 'SET lockedUntil = :until, expiresAt = :expires REMOVE settlesBy',
      ConditionExpression: 'version = :version AND lockedUntil <= :until',
      ExpressionAttributeValues: expect.objectContaining({ ':version': 5 }),
    });
    expect(extension!.ExpressionAttributeValues![':until']).toBeGreaterThanOrEqual(until);
  });

  it('refuses even the right password while locked, with 429 too_many_attempts and Retry-After, without hashing', async () => {
    await givenUser(alice);
    givenAttempts(counter(7, { lockedUntil: Date.now() + 3_500 }));

    const reply = await login({ email: alice.email, password: alice.password });

    expectProblem(reply, 429, 'too_many_attempts');
    expect(reply.headers?.['Retry-After']).toBe('4');
    expect(verifyPassword).not.toHaveBeenCalled();
    expect(attemptsCounted()).toEqual([]);
    expect(sessionWrites()).toHaveLength(0);
  });

  it('answers 429 without hashing when a parallel request took the last attempt first (conditional write failed, then locked)', async () => {
    await givenUser(alice);
    // The increment finds the fourth failure stored (the next attempt locks); by the time its
    // compare-and-set is sent, the parallel request has written the fifth and its lock.
    givenAttempts(counter(4));
    ddbMock.on(GetCommand, { Key: aliceByEmail }).resolves({ Item: counter(5, { lockedUntil: Date.now() + 1_000 }) });
    ddbMock.on(PutCommand, { Item: { pk: aliceByEmail.pk } }).rejects(awsError('ConditionalCheckFailedException'));

    const reply = await login({ email: alice.email, password: alice.password });

    expectProblem(reply, 429, 'too_many_attempts');
    expect(reply.headers?.['Retry-After']).toBe('1');
    expect(verifyPassword).not.toHaveBeenCalled();
    expect(sessionWrites()).toHaveLength(0);
  });

  it('resets the count after a successful login', async () => {
    await givenUser(alice);
    givenAttempts(counter(3));

    const reply = await login({ email: alice.email, password: alice.password });

    expect(reply.statusCode).toBe(200);
    // In the session's own transaction: a login that fails to write its session resets nothing.
    expect(deletedKeys('ATTEMPTS#')).toEqual([aliceByEmail]);
    expect(ddbMock.commandCalls(DeleteCommand)).toEqual([]);
  });
});

describe('POST /auth/login with a device cookie', () => {
  it('signs the owner in while the identifier is locked, counting on the device alone', async () => {
    // Prepare
    const { cookie } = await deviceCookieOfALogin(await givenUser(alice));
    const deviceId = cookie.split('.')[2]!;
    givenAttempts(counter(12, { lockedUntil: Date.now() + 900_000 }));

    // Act
    const reply = await login({ email: alice.email, password: alice.password }, { Cookie: cookie });

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(attemptsCounted()).toEqual([`ATTEMPTS#device#${deviceId}`]);
    expect(deletedKeys('ATTEMPTS#')).toEqual([attemptsKey(`device#${deviceId}`)]);
    // A trusted browser keeps its cookie: no new device, no new cookie.
    expect(cookieValue(reply, 'device')).toBeUndefined();
    expect(deviceWrites()).toEqual([]);
  });

  it('records the device of a first login on the user item, with the credentialsVersion it signed in at, and names it in the cookie', async () => {
    await givenUser(alice);

    const reply = await login({ email: alice.email, password: alice.password }, { 'User-Agent': 'Firefox/133' });

    expect(reply.statusCode).toBe(200);
    const deviceId = cookieValue(reply, 'device')!.split('.')[2];
    expect(deviceWrites()).toEqual([
      expect.objectContaining({ key: { pk: `USER#${alice.id}`, sk: 'USER' }, attribute: `device#${deviceId}`, credentialsVersion: 0, userAgent: 'Firefox/133' }),
    ]);
    // The same update records the session on the user: one item written, not two.
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(ddbMock.commandCalls(QueryCommand)).toEqual([]);
  });

  it('keeps at most 20 devices per account: a new one evicts the oldest, and any from before the last credentials change', async () => {
    // Prepare: 20 trusted devices recorded, oldest last, and one from before a reset.
    const item = await givenUser(alice);
    const now = Date.now();
    const recorded = (id: string, createdAt: number, credentialsVersion = 0) => [`device#${id}`, { createdAt, credentialsVersion, expiresAt: now + 86_400_000 }] as const;
    const trusted = Array.from({ length: 20 }, (_, i) => recorded(`device-${String(i).padStart(15, '0')}`, now - (i + 1) * 60_000));
    const devices = Object.fromEntries([...trusted, recorded('device-from-before-reset', now - 1000, -1)]);
    ddbMock.on(GetCommand, { Key: { pk: `USER#${alice.id}`, sk: 'USER' } }).resolves({ Item: { ...item, ...devices } });

    // Act
    const reply = await login({ email: alice.email, password: alice.password });

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(forgottenDevices().sort()).toEqual(['device#device-000000000000019', 'device#device-from-before-reset']);
    expect(deviceWrites()).toHaveLength(1);
  });

  it.each([
    ['revoked from the session list (no record any more)', async (item: Record<string, unknown>) => (await deviceCookieOfALogin(item, false)).cookie],
    ['from before a password reset or change (the account\'s credentialsVersion moved on)', async (item: Record<string, unknown>) => {
      const { cookie, userItem } = await deviceCookieOfALogin(item);
      ddbMock.on(GetCommand, { Key: { pk: `USER#${alice.id}`, sk: 'USER' } }).resolves({ Item: { ...userItem, credentialsVersion: 1 } });
      return cookie;
    }],
  ])('no longer trusts a device %s: the locked identifier answers 429', async (_case, given) => {
    // Prepare
    const cookie = await given(await givenUser(alice));
    givenAttempts(counter(12, { lockedUntil: Date.now() + 900_000 }));

    // Act
    const reply = await login({ email: alice.email, password: alice.password }, { Cookie: cookie });

    // Assess
    expectProblem(reply, 429, 'too_many_attempts');
    expect(verifyPassword).not.toHaveBeenCalled();
  });

  it('counts a wrong password on the device, not on the identifier', async () => {
    const { cookie } = await deviceCookieOfALogin(await givenUser(alice));

    const reply = await login({ email: alice.email, password: 'not the password' }, { Cookie: cookie });

    expectProblem(reply, 401, 'invalid_credentials');
    expect(attemptsCounted()).toEqual([`ATTEMPTS#device#${cookie.split('.')[2]}`]);
  });

  it('no longer trusts a device after five failures on it: the locked identifier answers 429', async () => {
    const { cookie } = await deviceCookieOfALogin(await givenUser(alice));
    givenAttempts(counter(5, {}, attemptsKey(`device#${cookie.split('.')[2]}`)));
    givenAttempts(counter(6, { lockedUntil: Date.now() + 2_000 }));

    const reply = await login({ email: alice.email, password: alice.password }, { Cookie: cookie });

    expectProblem(reply, 429, 'too_many_attempts');
    expect(verifyPassword).not.toHaveBeenCalled();
  });

  it("ignores another user's, a tampered and a forged device cookie: the locked identifier answers 429", async () => {
    const aliceItem = await givenUser(alice);
    await givenUser({ id: 'user-bob', email: 'bob@example.com', password: 'bob password 123' });
    const bobs = `device=${cookieValue(await login({ email: 'bob@example.com', password: 'bob password 123' }), 'device')!}`;
    const { cookie: alices } = await deviceCookieOfALogin(aliceItem);
    const tampered = `${alices.slice(0, -3)}${alices.at(-3) === 'A' ? 'B' : 'A'}${alices.slice(-2)}`;
    const forged = `device=dv1.${alice.id}.AAAAAAAAAAAAAAAAAAAAAA.4102444800.${'A'.repeat(43)}`;
    givenAttempts(counter(6, { lockedUntil: Date.now() + 2_000 }));
    ddbMock.resetHistory();

    const replies = [];
    for (const cookie of [bobs, tampered, forged]) replies.push(await login({ email: alice.email, password: alice.password }, { Cookie: cookie }));

    for (const reply of replies) expectProblem(reply, 429, 'too_many_attempts');
    // Bob's cookie is counted on Bob's device while the account is looked up, and then not trusted.
    expect(attemptsCounted()).toEqual([`ATTEMPTS#device#${bobs.split('.')[2]}`]);
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
