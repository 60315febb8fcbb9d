import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/login/handler';
import { awsError, ddbMock, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const userKey = { pk: `USER#${alice.id}`, sk: 'USER' };
const login = () => handler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } }), lambdaContext);
const sessionWrites = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!).filter((item) => String(item.pk).startsWith('SESSION#'));
const revocations = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET revokedAt = :now').map((c) => c.args[0].input.Key!.pk);

const RECORD_SESSION = 'ADD recentSessions :entry, sessionsVersion :one';
const sessionRecords = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === RECORD_SESSION).map((c) => c.args[0].input);

describe('a login racing a change of the account', () => {
  it('when a reset, password change, deletion or two-factor set-up committed while it hashed, the old password gets 401 and the session it wrote is revoked', async () => {
    // Prepare: the session is recorded on the user only while the hash is the one verified; DynamoDB refuses it otherwise.
    await givenUser(alice);
    ddbMock.on(UpdateCommand, { Key: userKey, UpdateExpression: RECORD_SESSION }).rejects(awsError('ConditionalCheckFailedException'));

    // Act
    const reply = await login();

    // Assess
    expectProblem(reply, 401, 'invalid_credentials');
    const [session] = sessionWrites();
    // A password-only session records itself only while two-factor is still off (a login begun before it was turned on cannot finish) and the account is not disabled.
    expect(sessionRecords()[0]).toMatchObject({ Key: userKey, ConditionExpression: 'attribute_exists(pk) AND passwordHash = :verified AND attribute_not_exists(disabled) AND attribute_not_exists(totpSecret)' });
    expect(revocations()).toEqual([session!.pk]);
  });

  it('records the new session on the user, with the hash it verified, and keeps it', async () => {
    // Prepare
    const item = await givenUser(alice);

    // Act
    const reply = await login();

    // Assess
    expect(reply.statusCode).toBe(200);
    const [session] = sessionWrites();
    const [record] = sessionRecords();
    expect(record!.ExpressionAttributeValues).toEqual({ ':entry': new Set([`${session!.id} ${session!.createdAt}`]), ':one': 1, ':verified': item.passwordHash });
    expect(revocations()).toEqual([]);
  });
});

describe('the sessions recorded on the user', () => {
  const FORGET = 'DELETE recentSessions :entries';
  const forgets = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === FORGET).map((c) => c.args[0].input);
  const givenRecent = async (entries: string[]) => {
    const item = await givenUser(alice);
    ddbMock.on(GetCommand, { Key: userKey }).resolves({ Item: { ...item, recentSessions: new Set(entries) } });
  };
  const minutesAgo = (minutes: number) => Date.now() - minutes * 60_000;

  it('forgets entries older than five minutes once there are five of them, beside recording the new one', async () => {
    // Prepare
    const stale = [1, 2, 3, 4, 5].map((i) => `old-${i} ${minutesAgo(5 + i)}`);
    await givenRecent([...stale, `fresh ${minutesAgo(1)}`]);

    // Act
    const reply = await login();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(forgets()).toEqual([expect.objectContaining({ Key: userKey, ExpressionAttributeValues: { ':entries': new Set(stale) }, ConditionExpression: 'attribute_exists(pk)' })]);
  });

  it('leaves fewer than five old entries for a later login: no extra write', async () => {
    // Prepare
    await givenRecent([1, 2, 3, 4].map((i) => `old-${i} ${minutesAgo(5 + i)}`));

    // Act
    const reply = await login();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(forgets()).toEqual([]);
  });
});
