import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoSessionStore } from '../../shared/aws/dynamodb-sessions';
import type { SessionRecord } from '../../shared/stores';
import { stack, tableClient } from './support';

/**
 * The rotation write against real DynamoDB (Local): one conditional UpdateItem carries every
 * check, and a refused one leaves the item untouched and hands back the item as it was.
 */
const client = tableClient();
const store = new DynamoSessionStore(client, stack.tableName);
const IDLE_MS = 30 * 60_000;

async function storedSession(overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
  const now = Date.now();
  const session: SessionRecord = {
    id: randomUUID(), userId: `user-${randomUUID()}`, generation: 3,
    createdAt: now - 60_000, lastUsedAt: now - 60_000, absoluteExpiresAt: now + 86_400_000, ...overrides,
  };
  await store.create(session);
  // create() writes the lifetime fields; rotatedAt/revokedAt come from earlier rotations and revocations.
  if (session.rotatedAt !== undefined || session.revokedAt !== undefined) {
    const sets = Object.entries({ rotatedAt: session.rotatedAt, revokedAt: session.revokedAt }).filter(([, v]) => v !== undefined);
    await client.send(new UpdateCommand({
      TableName: stack.tableName, Key: { pk: `SESSION#${session.id}`, sk: 'SESSION' },
      UpdateExpression: `SET ${sets.map(([k]) => `${k} = :${k}`).join(', ')}`,
      ExpressionAttributeValues: Object.fromEntries(sets.map(([k, v]) => [`:${k}`, v])),
    }));
  }
  return session;
}

const itemOf = async (id: string) => (await client.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `SESSION#${id}`, sk: 'SESSION' }, ConsistentRead: true }))).Item;

describe('session rotation in one conditional write', () => {
  it('advances the generation of a live session at the presented generation and answers the new item', async () => {
    const session = await storedSession();
    const now = Date.now();

    const outcome = await store.rotate(session.id, 3, now, IDLE_MS);

    expect(outcome).toEqual({ rotated: true, session: { ...session, generation: 4, rotatedAt: now, lastUsedAt: now } });
    expect(await itemOf(session.id)).toMatchObject({ generation: 4, rotatedAt: now, lastUsedAt: now });
  });

  it.each([
    ['an older generation (grace or reuse: the caller decides)', {}, 2],
    ['a revoked session', { revokedAt: Date.now() - 1_000 }, 3],
    ['a session idle for the whole idle timeout', { lastUsedAt: Date.now() - IDLE_MS - 1_000 }, 3],
    ['a session past its absolute end', { absoluteExpiresAt: Date.now() - 1 }, 3],
  ] as const)('refuses %s, writes nothing and answers the session as it was', async (_case, overrides, presented) => {
    const session = await storedSession({ rotatedAt: Date.now() - 2_000, ...overrides });
    const before = await itemOf(session.id);

    const outcome = await store.rotate(session.id, presented, Date.now(), IDLE_MS);

    expect(outcome).toEqual({ rotated: false, current: session });
    expect(await itemOf(session.id)).toEqual(before);
  });

  it('refuses a session that does not exist, creating nothing', async () => {
    const id = randomUUID();

    const outcome = await store.rotate(id, 0, Date.now(), IDLE_MS);

    expect(outcome).toEqual({ rotated: false, current: undefined });
    expect(await itemOf(id)).toBeUndefined();
  });

  it('lets exactly one of 10 simultaneous rotations from one generation win; the others see the winner’s item', async () => {
    const session = await storedSession();

    const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.rotate(session.id, 3, Date.now(), IDLE_MS)));

    expect(outcomes.filter((o) => o.rotated)).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => !o.rotated)) {
      expect(outcome).toMatchObject({ rotated: false, current: { generation: 4, rotatedAt: expect.any(Number) } });
    }
    expect(await itemOf(session.id)).toMatchObject({ generation: 4 });
  });
});
