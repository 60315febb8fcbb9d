import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LimitStore, LoginAttemptState } from '../stores';

/**
 * LOGINFAIL#<key>: consecutive login failures and the lock, per account (or per unknown
 * identifier, so unknown and known accounts behave alike). RATE#<key>#<window>: fixed-window
 * request counters. Both expire through TTL once they no longer matter.
 */
const loginKey = (key: string) => ({ pk: `LOGINFAIL#${key}`, sk: 'LOGINFAIL' });
/** Failure counts are forgotten a day after the last failure. */
const LOGIN_FAILURE_MEMORY_SECONDS = 86_400;

export class DynamoLimitStore implements LimitStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getLoginAttempts(key: string): Promise<LoginAttemptState> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: loginKey(key), ConsistentRead: true }));
    const failures = typeof Item?.failures === 'number' ? Item.failures : 0;
    return typeof Item?.lockedUntil === 'number' ? { failures, lockedUntil: Item.lockedUntil } : { failures };
  }

  async recordLoginFailure(key: string, now: number): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: loginKey(key),
        UpdateExpression: 'ADD failures :one SET expiresAt = :expires',
        ExpressionAttributeValues: { ':one': 1, ':expires': Math.ceil(now / 1000) + LOGIN_FAILURE_MEMORY_SECONDS },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.failures ?? 1);
  }

  async lockLogin(key: string, until: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: loginKey(key),
        UpdateExpression: 'SET lockedUntil = :until',
        ExpressionAttributeValues: { ':until': until },
      }),
    );
  }

  async clearLoginAttempts(key: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: loginKey(key) }));
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
