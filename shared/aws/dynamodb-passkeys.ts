import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MailIntent } from '../outbox';
import type { PasskeyRecord, PasskeyStore, PasskeyUse } from '../stores';
import { writeConditionally } from './conditional-write';
import { intentItem } from './dynamodb-outbox';
import { eventPut } from './dynamodb-events';
import type { SecurityEventRecord } from '../security-events';
import { itemsOfUser } from './one-shot';
import { transactWriteIfConditionsHold, transactWriteIfFirstHolds } from './dynamodb-transactions';

/**
 * PASSKEY items live under their user: pk USER#<userId>, sk PASSKEY#<credentialId>. A login finds
 * one from the assertion's user handle (the user id given to the authenticator at registration)
 * and credential id, so a credential of one user can never be named through another; the passkeys
 * of a user are one Query (no index).
 */
const PASSKEY_PREFIX = 'PASSKEY#';
export const passkeyKey = (userId: string, credentialId: string) => ({ pk: `USER#${userId}`, sk: `${PASSKEY_PREFIX}${credentialId}` });

export function passkeyFromItem(item: Record<string, unknown>): PasskeyRecord {
  return {
    id: item.id as string,
    userId: item.userId as string,
    publicKey: item.publicKey as string,
    counter: item.counter as number,
    transports: Array.isArray(item.transports) ? (item.transports as string[]) : [],
    aaguid: item.aaguid as string,
    backupEligible: item.backupEligible === true,
    backedUp: item.backedUp === true,
    name: item.name as string,
    createdAt: item.createdAt as number,
    ...(typeof item.lastUsedAt === 'number' ? { lastUsedAt: item.lastUsedAt } : {}),
  };
}

/**
 * The write of a use: the new counter, lastUsedAt and the backup state, under the counter rule
 * (shared/auth/passkeys.ts) decided by the write itself: of two uses presenting one value, one
 * wins. On its own (step-up) or in a sign-in's transaction (dynamodb-users.ts, startSession).
 */
export function passkeyUseUpdate(tableName: string, use: PasskeyUse) {
  return {
    TableName: tableName,
    Key: passkeyKey(use.userId, use.credentialId),
    UpdateExpression: 'SET #counter = :counter, lastUsedAt = :now, backedUp = :backedUp',
    ConditionExpression: 'attribute_exists(pk) AND ((#counter = :zero AND :counter = :zero) OR #counter < :counter)',
    ExpressionAttributeNames: { '#counter': 'counter' },
    ExpressionAttributeValues: { ':counter': use.counter, ':zero': 0, ':now': use.usedAt, ':backedUp': use.backedUp },
  };
}

export class DynamoPasskeyStore implements PasskeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(userId: string, credentialId: string): Promise<PasskeyRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: passkeyKey(userId, credentialId), ConsistentRead: true }));
    return Item ? passkeyFromItem(Item) : undefined;
  }

  async listOfUser(userId: string): Promise<PasskeyRecord[]> {
    return (await itemsOfUser(this.client, this.tableName, userId, PASSKEY_PREFIX)).map(passkeyFromItem);
  }

  create(passkey: PasskeyRecord, notice: MailIntent, now: number, event: SecurityEventRecord): Promise<boolean> {
    return transactWriteIfConditionsHold(this.client, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...passkeyKey(passkey.userId, passkey.id), ...passkey },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      // The account must still exist: a passkey of a deleted account is never stored.
      { ConditionCheck: { TableName: this.tableName, Key: { pk: `USER#${passkey.userId}`, sk: 'USER' }, ConditionExpression: 'attribute_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: intentItem(notice, now) } },
      ...eventPut(this.tableName, event),
    ]);
  }

  recordUse(use: PasskeyUse): Promise<boolean> {
    return writeConditionally(this.client, new UpdateCommand(passkeyUseUpdate(this.tableName, use)));
  }

  remove(userId: string, credentialId: string, notice: MailIntent, now: number, event: SecurityEventRecord): Promise<boolean> {
    return transactWriteIfFirstHolds(this.client, [
      { Delete: { TableName: this.tableName, Key: passkeyKey(userId, credentialId), ConditionExpression: 'attribute_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: intentItem(notice, now) } },
      ...eventPut(this.tableName, event),
    ]);
  }

  async forgetAllOfUser(userId: string): Promise<void> {
    const passkeys = await this.listOfUser(userId);
    await Promise.all(passkeys.map((p) => this.client.send(new DeleteCommand({ TableName: this.tableName, Key: passkeyKey(userId, p.id) }))));
  }
}
