import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../../shared/aws/dynamodb-transactions';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/login/handler';
import { ddbMock, givenUser, transactionCanceled } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const userKey = { pk: `USER#${alice.id}`, sk: 'USER' };
const login = () => handler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } }), lambdaContext);
const revocations = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET revokedAt = :now').map((c) => c.args[0].input.Key!.pk);

/** A login's writes: the session, its record on the user (with the new browser as a device) and the rest, in one transaction. */
const sessionStarts = () => ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
const sessionOf = (items: TransactItem[]) => items.find((item) => String(item.Put?.Item?.pk).startsWith('SESSION#'))!.Put!.Item!;
const recordOf = (items: TransactItem[]) => items.find((item) => item.Update?.UpdateExpression?.startsWith('ADD recentSessions :entry, sessionsVersion :one'))!.Update!;

describe('a login racing a change of the account', () => {
  it('when a reset, password change, deletion or two-factor set-up committed while it hashed, the old password gets 401 and no session is written', async () => {
    // Prepare: the session is recorded on the user only while the hash is the one verified; DynamoDB cancels the transaction otherwise.
    await givenUser(alice);
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'ConditionalCheckFailed', 'None', 'None', 'None']));

    // Act
    const reply = await login();

    // Assess
    expectProblem(reply, 401, 'invalid_credentials');
    const [start] = sessionStarts();
    // A password-only session records itself only while two-factor is still off (a login begun before it was turned on cannot finish) and the account is not disabled.
    expect(recordOf(start!)).toMatchObject({ Key: userKey, ConditionExpression: 'attribute_exists(pk) AND passwordHash = :verified AND attribute_not_exists(disabled) AND attribute_not_exists(totpSecret)' });
    // The session and its record commit together or not at all: nothing was written, nothing needs revoking.
    expect(ddbMock.commandCalls(PutCommand).filter((c) => String(c.args[0].input.Item?.pk).startsWith('SESSION#'))).toEqual([]);
    expect(revocations()).toEqual([]);
  });

  it('records the new session on the user, with the hash it verified, and keeps it', async () => {
    // Prepare
    const item = await givenUser(alice);

    // Act
    const reply = await login();

    // Assess
    expect(reply.statusCode).toBe(200);
    const [start] = sessionStarts();
    const session = sessionOf(start!);
    expect(recordOf(start!).ExpressionAttributeValues).toMatchObject({ ':entry': new Set([`${String(session.id)} ${String(session.createdAt)}`]), ':one': 1, ':verified': item.passwordHash });
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

  it('forgets entries older than five minutes once there are five of them, after the transaction that records the new one', async () => {
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
