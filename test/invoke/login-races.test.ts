import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/login/handler';
import { hashPassword } from '../../shared/passwords';
import { ddbMock, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { expectProblem } from '../support/replies';

const alice = { id: 'user-alice', email: 'alice@example.com', password: 'correct horse battery' };
const userKey = { pk: `USER#${alice.id}`, sk: 'USER' };
const login = () => handler(apiEvent({ path: '/auth/login', body: { email: alice.email, password: alice.password } }), lambdaContext);
const sessionWrites = () => ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item!).filter((item) => String(item.pk).startsWith('SESSION#'));
const revocations = () => ddbMock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === 'SET revokedAt = :now').map((c) => c.args[0].input.Key!.pk);

describe('a login racing a change of the account', () => {
  it.each([
    ['a password reset or change committed while it hashed', async (item: Record<string, unknown>) => ({ Item: { ...item, passwordHash: await hashPassword('the new password') } })],
    ['the account was deleted while it hashed', async () => ({})],
  ])('when %s, the old password gets 401 and the session it wrote is revoked', async (_, afterChange) => {
    // Prepare
    const item = await givenUser(alice);
    const changed = await afterChange(item);
    ddbMock.on(GetCommand, { Key: userKey }).resolvesOnce({ Item: item }).resolves(changed);

    // Act
    const reply = await login();

    // Assess
    expectProblem(reply, 401, 'invalid_credentials');
    const [session] = sessionWrites();
    expect(revocations()).toEqual([session!.pk]);
  });

  it('keeps the session when the account is unchanged after the session was written', async () => {
    // Prepare
    await givenUser(alice);

    // Act
    const reply = await login();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(revocations()).toEqual([]);
  });
});
