import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttemptCounter, AttemptIncrement, LimitStore, StoredAttempts } from '../stores';
import { writeConditionally } from './conditional-write';
import { isConditionFailure } from './errors';

/**
 * ATTEMPTS#<key>: a password-attempt counter (login identifier, account or device) with its lock
 * and a version for compare-and-set. RATE#<key>#<window>: fixed-window request counters. Both
 * expire through TTL once they no longer matter.
 */
export const attemptsKey = (key: string) => ({ pk: `ATTEMPTS#${key}`, sk: 'ATTEMPTS' });

function toAttempts(item: Record<string, unknown>): StoredAttempts {
  return {
    failures: Number(item.failures ?? 0),
    ...(typeof item.lockedUntil === 'number' ? { lockedUntil: item.lockedUntil } : {}),
    ...(typeof item.settlesBy === 'number' ? { settlesBy: item.settlesBy } : {}),
    expiresAt: Number(item.expiresAt ?? 0) * 1000,
    version: Number(item.version ?? 0),
  };
}

export class DynamoLimitStore implements LimitStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getAttempts(key: string): Promise<StoredAttempts | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: attemptsKey(key), ConsistentRead: true }));
    return Item ? toAttempts(Item) : undefined;
  }

  async incrementAttempts(key: string, below: number, expiresAt: number, now: number): Promise<AttemptIncrement> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: attemptsKey(key),
          UpdateExpression: 'SET failures = if_not_exists(failures, :zero) + :one, version = if_not_exists(version, :zero) + :one, expiresAt = :expires REMOVE lockedUntil, settlesBy',
          // expiresAt is in seconds: "not forgotten at now" is expiresAt × 1000 > now.
          ConditionExpression:
            'attribute_not_exists(pk) OR (failures < :below AND expiresAt > :nowSeconds AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now) AND (attribute_not_exists(settlesBy) OR settlesBy <= :now))',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':expires': Math.ceil(expiresAt / 1000), ':below': below, ':nowSeconds': now / 1000, ':now': now },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { counted: toAttempts(Attributes!) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // lib-dynamodb translates outputs, not exceptions: the stored counter arrives in wire format.
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return { stored: item ? toAttempts(unmarshall(item)) : await this.getAttempts(key) };
    }
  }

  async saveAttempts(key: string, seen: StoredAttempts | undefined, next: AttemptCounter, now: number): Promise<boolean> {
    const unchanged = seen
      ? {
          ConditionExpression:
            'version = :seen AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now) AND (attribute_not_exists(settlesBy) OR settlesBy <= :now)',
          ExpressionAttributeValues: { ':seen': seen.version, ':now': now },
        }
      : { ConditionExpression: 'attribute_not_exists(pk)' };
    return writeConditionally(
      this.client,
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...attemptsKey(key),
          failures: next.failures,
          ...(next.lockedUntil !== undefined ? { lockedUntil: next.lockedUntil } : {}),
          ...(next.settlesBy !== undefined ? { settlesBy: next.settlesBy } : {}),
          version: (seen?.version ?? 0) + 1,
          expiresAt: Math.ceil(next.expiresAt / 1000),
        },
        ...unchanged,
      }),
    );
  }

  async settleFailure(key: string, version: number, until: number, expiresAt: number): Promise<void> {
    // A failed condition means a success reset, or a later attempt after settlesBy passed, got there first: nothing to settle.
    await writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: attemptsKey(key),
        UpdateExpression: 'SET lockedUntil = :until, expiresAt = :expires REMOVE settlesBy',
        ConditionExpression: 'version = :version AND lockedUntil <= :until',
        ExpressionAttributeValues: { ':version': version, ':until': until, ':expires': Math.ceil(expiresAt / 1000) },
      }),
    );
  }

  async clearAttempts(key: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: attemptsKey(key) }));
  }

  async hit(key: string, windowSeconds: number, now: number): Promise<number> {
    const windowStart = Math.floor(now / 1000 / windowSeconds) * windowSeconds;
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `RATE#${key}#${windowStart}`, sk: 'RATE' },
        UpdateExpression: 'ADD hits :one SET expiresAt = :expires',
        ExpressionAttributeValues: { ':one': 1, ':expires': windowStart + windowSeconds + 60 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.hits ?? 1);
  }
}
