import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/login/handler';
import { verifyPassword } from '../../shared/passwords';
import { ddbMock, givenUser } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';

/** What the first version stored for 'fish and chips 1': scrypt N=1024, r=8, p=1. */
const storedScryptHash = 'scrypt$N=1024,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$qY-8mv-aiNNZGA0cAfpV1uLorNHRknzYkQ2ehrQnfMk';
const bob = { id: 'user-bob', email: 'bob@example.com', password: 'fish and chips 1' };

const login = (password: string) => handler(apiEvent({ path: '/auth/login', body: { email: bob.email, password } }), lambdaContext);
const hashWrites = () => ddbMock.commandCalls(UpdateCommand, { UpdateExpression: 'SET passwordHash = :hash' });

const userKey = { pk: `USER#${bob.id}`, sk: 'USER' };

/** Bob's row holds the scrypt hash; an upgrade that is written is what later reads see. */
async function givenUserWithScryptHash(): Promise<void> {
  const item = await givenUser(bob);
  ddbMock.on(GetCommand, { Key: userKey }).resolves({ Item: { ...item, passwordHash: storedScryptHash } });
  ddbMock.on(UpdateCommand, { UpdateExpression: 'SET passwordHash = :hash' }).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
    ddbMock.on(GetCommand, { Key: userKey }).resolves({ Item: { ...item, passwordHash: input.ExpressionAttributeValues[':hash'] } });
    return {};
  });
}

describe('upgrading old password hashes at login', () => {
  it('signs in a user whose password is stored as scrypt and replaces the hash with argon2id of the same password', async () => {
    await givenUserWithScryptHash();
    ddbMock.on(PutCommand).resolves({});

    const reply = await login(bob.password);

    expect(reply.statusCode).toBe(200);
    expect(hashWrites()).toHaveLength(1);
    const upgraded = hashWrites()[0]!.args[0].input.ExpressionAttributeValues![':hash'] as string;
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await verifyPassword(bob.password, upgraded)).toBe(true);
  });

  it('upgrades only the hash it verified, so a reset committed meanwhile is never overwritten', async () => {
    await givenUserWithScryptHash();

    await login(bob.password);

    const [write] = hashWrites().map((c) => c.args[0].input);
    expect(write!.ConditionExpression).toBe('attribute_exists(pk) AND passwordHash = :replacing');
    expect(write!.ExpressionAttributeValues![':replacing']).toBe(storedScryptHash);
  });

  it('keeps the scrypt hash when the password is wrong', async () => {
    await givenUserWithScryptHash();
    ddbMock.on(UpdateCommand).resolves({ Attributes: { failures: 1 } });

    const reply = await login('fish and chips 2');

    expect(reply.statusCode).toBe(401);
    expect(hashWrites()).toHaveLength(0);
  });

  it('leaves a hash of today’s algorithm and cost alone', async () => {
    await givenUser(bob);
    ddbMock.on(PutCommand).resolves({});

    const reply = await login(bob.password);

    expect(reply.statusCode).toBe(200);
    expect(hashWrites()).toHaveLength(0);
  });
});
