import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { RotationOutcome, SessionRecord, SessionStore } from '../stores';
import { tableSchema } from '../table';
import { isConditionFailure } from './errors';

/**
 * SESSION#<id> items, indexed by user through the sparse GSI (gsi1pk = USER#<userId>).
 * TTL (expiresAt) is the absolute end of the session: it only cleans up; the code enforces it.
 */
const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: 'SESSION' });

export function sessionToItem(session: SessionRecord): Record<string, unknown> {
  return {
    ...sessionKey(session.id),
    gsi1pk: `USER#${session.userId}`,
    gsi1sk: `SESSION#${session.createdAt}`,
    id: session.id,
    userId: session.userId,
    generation: session.generation,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    absoluteExpiresAt: session.absoluteExpiresAt,
    expiresAt: Math.ceil(session.absoluteExpiresAt / 1000),
  };
}

function toRecord(item: Record<string, unknown>): SessionRecord {
  return {
    id: item.id as string,
    userId: item.userId as string,
    generation: item.generation as number,
    createdAt: item.createdAt as number,
    lastUsedAt: item.lastUsedAt as number,
    absoluteExpiresAt: item.absoluteExpiresAt as number,
    ...(typeof item.rotatedAt === 'number' ? { rotatedAt: item.rotatedAt } : {}),
    ...(typeof item.revokedAt === 'number' ? { revokedAt: item.revokedAt } : {}),
  };
}

/** At most this many revocations in flight at once for logout-all. */
const REVOKE_CONCURRENCY = 10;

export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(session: SessionRecord): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: sessionToItem(session), ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: sessionKey(sessionId) }));
    return Item ? toRecord(Item) : undefined;
  }

  async rotate(sessionId: string, from: number, now: number, idleTimeoutMs: number): Promise<RotationOutcome> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(sessionId),
          UpdateExpression: 'SET generation = :next, rotatedAt = :now, lastUsedAt = :now',
          // The same edges as sessionState(): live while now < absoluteExpiresAt and now < lastUsedAt + idle.
          ConditionExpression: 'generation = :from AND attribute_not_exists(revokedAt) AND absoluteExpiresAt > :now AND lastUsedAt > :idleSince',
          ExpressionAttributeValues: { ':from': from, ':next': from + 1, ':now': now, ':idleSince': now - idleTimeoutMs },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { rotated: true, session: toRecord(Attributes!) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // lib-dynamodb translates outputs, not exceptions: the old item arrives in wire format.
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return { rotated: false, current: item ? toRecord(unmarshall(item)) : undefined };
    }
  }

  async revoke(sessionId: string, now: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(sessionId),
          UpdateExpression: 'SET revokedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
    } catch (error) {
      // Already revoked (or gone): the outcome the caller wanted.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async revokeAllOfUser(userId: string, now: number): Promise<number> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: tableSchema.sessionsByUserIndex.indexName,
          KeyConditionExpression: 'gsi1pk = :user',
          FilterExpression: 'attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':user': `USER#${userId}` },
          ProjectionExpression: 'id',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) ids.push(item.id as string);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    for (let i = 0; i < ids.length; i += REVOKE_CONCURRENCY) {
      await Promise.all(ids.slice(i, i + REVOKE_CONCURRENCY).map((id) => this.revoke(id, now)));
    }
    return ids.length;
  }
}
