import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/me/handler';
import { awsError, ddbMock, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem, json } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', username: 'Alice', password: 'correct horse battery' };
const me = (auth: { userId: string; sessionId: string } | null = { userId: alice.id, sessionId: 'sess-alice-laptop-0001' }) =>
  handler(apiEvent({ method: 'GET', path: '/me', auth: auth ?? undefined }), lambdaContext);

describe('GET /me', () => {
  it('answers 200 with the signed-in user, without its password hash', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    const reply = await me();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(reply.headers).toMatchObject({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    expect(json(reply)).toEqual({
      user: { id: alice.id, email: alice.email, username: 'Alice', createdAt: '2026-11-01T00:00:00.000Z', mfaEnabled: false },
    });
    expect(reply.body).not.toMatch(/passwordHash|argon2id|scrypt|verification|ffffffff/);
    expect(ddbMock.commandCalls(GetCommand)[0]!.args[0].input.Key).toEqual({ pk: `USER#${alice.id}`, sk: 'USER' });
  });

  it('says two-factor is on once the account has a confirmed TOTP secret, and not while one is only pending', async () => {
    // Prepare
    const item = await givenUser(alice);
    const userKey = { pk: `USER#${alice.id}`, sk: 'USER' };

    // Act
    ddbMock.on(GetCommand, { Key: userKey }).resolves({ Item: { ...item, totpPending: 'v1.pending' } });
    const pending = json(await me()).user;
    ddbMock.on(GetCommand, { Key: userKey }).resolves({ Item: { ...item, totpSecret: 'v1.confirmed', recoveryCodes: new Set(['hash']) } });
    const confirmed = json(await me()).user;

    // Assess
    expect(pending.mfaEnabled).toBe(false);
    expect(confirmed.mfaEnabled).toBe(true);
    expect(JSON.stringify(confirmed)).not.toMatch(/v1\.|totp|recovery/i);
  });

  it('answers 401 unauthorized when the user no longer exists', async () => {
    const reply = await me({ userId: 'user-deleted', sessionId: 'sess-deleted-000001' });

    expectProblem(reply, 401, 'unauthorized');
  });

  it('answers 401 unauthorized when the authorizer context is missing', async () => {
    await givenUser(alice);

    const reply = await me(null);

    expect(reply.statusCode).toBe(401);
    expect(json(reply).code).toBe('unauthorized');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('answers 503 with Retry-After when DynamoDB is unavailable', async () => {
    ddbMock.on(GetCommand).rejects(awsError('InternalServerError', 500));

    const reply = await me();

    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.['Retry-After']).toBe('5');
    expect(json(reply).code).toBe('service_unavailable');
  });
});
