import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writeConditionally } from '../../shared/aws/conditional-write';
import type { GuardedKey } from './rotation';

/**
 * The key manager's own items in the service's table (which is retained with the data it
 * protects, unlike a secret that a stack replacement or deletion may leave behind):
 *   KEYMANAGER#lock        the lease that makes runs take turns (deploy, schedule, operator);
 *   KEYMANAGER#<key name>  that a refresh or MFA key existed, with its fingerprint and secret ARN.
 * The key manager may touch only items under this prefix.
 */
export const KEY_MANAGER_KEY_PREFIX = 'KEYMANAGER#';
const lockKey = { pk: `${KEY_MANAGER_KEY_PREFIX}lock`, sk: 'LOCK' };
const recordKey = (name: GuardedKey) => ({ pk: `${KEY_MANAGER_KEY_PREFIX}${name}`, sk: 'KEY' });

export interface KeyRecord {
  fingerprint: string;
  secretArn: string;
  recordedAt: string;
}

export class KeyRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes the lease for `leaseMs` unless another run holds an unexpired one; the owner token to
   * release it with, or undefined when another run is at work.
   */
  async acquireLock(now: number, leaseMs: number): Promise<string | undefined> {
    const owner = randomUUID();
    const taken = await writeConditionally(
      this.client,
      new PutCommand({
        TableName: this.tableName,
        Item: { ...lockKey, owner, leaseUntil: now + leaseMs, expiresAt: Math.ceil((now + leaseMs) / 1000) + 3600 },
        ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    return taken ? owner : undefined;
  }

  /** Releases the lease if it is still ours (a run that outlived its lease releases nothing). */
  async releaseLock(owner: string): Promise<void> {
    await writeConditionally(
      this.client,
      new DeleteCommand({ TableName: this.tableName, Key: lockKey, ConditionExpression: '#owner = :owner', ExpressionAttributeNames: { '#owner': 'owner' }, ExpressionAttributeValues: { ':owner': owner } }),
    );
  }

  async read(name: GuardedKey): Promise<KeyRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: recordKey(name), ConsistentRead: true }));
    return Item ? { fingerprint: String(Item.fingerprint), secretArn: String(Item.secretArn), recordedAt: String(Item.recordedAt) } : undefined;
  }

  async write(name: GuardedKey, record: KeyRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...recordKey(name), ...record } }));
  }
}
