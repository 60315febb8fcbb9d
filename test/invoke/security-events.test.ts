import { PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as loginHandler } from '../../functions/login/handler';
import { handler } from '../../functions/security-events/handler';
import { ddbMock, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { json } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const list = () => handler(apiEvent({ method: 'GET', path: '/me/security-events', auth: { userId: alice.id, sessionId: 'sess-alice-0001' } }), lambdaContext);
/** Events written on their own or in the transaction of the change they record. */
const eventWrites = () =>
  [...ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!), ...ddbMock.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems!).flatMap((item) => item.Put?.Item ?? [])]
    .filter((item) => String(item.sk).startsWith('EVT#'));

describe('security events', () => {
  it('records a password sign-in from a new device in the transaction that starts the session, with the device and no secret', async () => {
    await givenUser(alice);
    ddbMock.on(PutCommand).resolves({});

    const reply = await loginHandler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } }), lambdaContext);

    expect(reply.statusCode).toBe(200);
    const [event] = eventWrites();
    expect(event).toMatchObject({ pk: `USER#${alice.id}`, type: 'signed_in', method: 'password', newDevice: true, ipAddress: '203.0.113.7', userAgent: 'vitest' });
    expect(event!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 89 * 86_400);
    expect(JSON.stringify(event)).not.toMatch(/passwordHash|argon2|rt1\.|correct horse/);
  });

  it('GET /me/security-events lists the caller\'s own partition, newest first, without storage fields', async () => {
    const stored = { pk: `USER#${alice.id}`, sk: 'EVT#00000mx76ps598f341eb0dbfd', id: '00000mx76ps598f341eb0dbfd', userId: alice.id, type: 'password_changed', at: '2026-12-03T06:00:00.000Z', expiresAt: 9_999_999_999 };
    ddbMock.on(QueryCommand).resolves({ Items: [stored] });

    const reply = await list();

    expect(reply.statusCode).toBe(200);
    expect(json(reply)).toEqual({ events: [{ id: stored.id, type: 'password_changed', at: stored.at }] });
    const query = ddbMock.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ScanIndexForward: false, Limit: 50 });
    expect(query.ExpressionAttributeValues).toMatchObject({ ':pk': `USER#${alice.id}`, ':prefix': 'EVT#' });
  });
});
