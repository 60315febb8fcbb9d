import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MailIntent } from '../outbox';
import type { SecurityEventRecord } from '../security-events';
import type { CreateFederatedAccountOutcome, IdentityRecord, IdentityStore, LinkIdentityOutcome, UserRecord } from '../stores';
import { eventPut } from './dynamodb-events';
import { intentItem } from './dynamodb-outbox';
import { userItem, userKeys } from './dynamodb-users';
import { refusalReasons, transactWriteIfConditionsHold, type TransactItem } from './dynamodb-transactions';
import { itemsOfUser } from './one-shot';

/**
 * IDENTITY#<provider>#<subject> / IDENTITY: the pointer that says which account an identity signs
 * in to (identities are keyed by provider and subject, never by address). USER#<userId> /
 * IDENTITY#<provider>: the identity under its account, one per provider, listed with one Query of
 * the user's partition. Both are written and deleted together.
 */
const IDENTITY_PREFIX = 'IDENTITY#';
const pointerKey = (provider: string, subject: string) => ({ pk: `${IDENTITY_PREFIX}${provider}#${subject}`, sk: 'IDENTITY' });
const ownedKey = (userId: string, provider: string) => ({ pk: `USER#${userId}`, sk: `${IDENTITY_PREFIX}${provider}` });

function toRecord(item: Record<string, unknown>): IdentityRecord {
  return {
    id: item.id as string,
    userId: item.userId as string,
    provider: item.provider as string,
    subject: item.subject as string,
    ...(typeof item.email === 'string' ? { email: item.email } : {}),
    linkedAt: item.linkedAt as number,
  };
}

const BUMP_IDENTITIES = 'identitiesVersion = if_not_exists(identitiesVersion, :zero) + :one';

export class DynamoIdentityStore implements IdentityStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findBySubject(provider: string, subject: string): Promise<{ userId: string; id: string } | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: pointerKey(provider, subject), ConsistentRead: true }));
    return typeof Item?.userId === 'string' && typeof Item.id === 'string' ? { userId: Item.userId, id: Item.id } : undefined;
  }

  async listOfUser(userId: string): Promise<IdentityRecord[]> {
    return (await itemsOfUser(this.client, this.tableName, userId, IDENTITY_PREFIX)).map(toRecord);
  }

  async link(identity: IdentityRecord, notice: MailIntent, event: SecurityEventRecord, now: number, options: { requireEmail?: string; staleOwner?: string } = {}): Promise<LinkIdentityOutcome> {
    const email = options.requireEmail === undefined ? '' : ' AND email = :email';
    // Indexes matter: the cancellation reasons come back in this order.
    const items: TransactItem[] = [
      this.putPointer(identity, options.staleOwner),
      this.putOwned(identity),
      {
        Update: {
          TableName: this.tableName,
          Key: userKeys.user(identity.userId),
          UpdateExpression: `SET ${BUMP_IDENTITIES}`,
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(disabled)${email}`,
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ...(options.requireEmail === undefined ? {} : { ':email': options.requireEmail }) },
        },
      },
      { Put: { TableName: this.tableName, Item: intentItem(notice, now) } },
      ...eventPut(this.tableName, event),
    ];
    const reasons = await refusalReasons(this.client, items);
    if (!reasons) return 'linked';
    if (reasons[0] === 'ConditionalCheckFailed') return 'identity_taken';
    if (reasons[1] === 'ConditionalCheckFailed') return 'provider_taken';
    return 'account_changed';
  }

  async createAccount(user: UserRecord, identity: IdentityRecord, event: SecurityEventRecord, options: { staleOwner?: string } = {}): Promise<CreateFederatedAccountOutcome> {
    const absent = { ConditionExpression: 'attribute_not_exists(pk)' };
    const items: TransactItem[] = [
      this.putPointer(identity, options.staleOwner),
      { Put: { TableName: this.tableName, Item: { ...userKeys.email(user.email), userId: user.id }, ...absent } },
      { Put: { TableName: this.tableName, Item: { ...userItem(user), identitiesVersion: 1 }, ...absent } },
      this.putOwned(identity),
      ...eventPut(this.tableName, event),
    ];
    const reasons = await refusalReasons(this.client, items);
    if (!reasons) return 'created';
    return reasons[0] === 'ConditionalCheckFailed' ? 'identity_taken' : 'address_taken';
  }

  async unlink(identity: IdentityRecord, methodsVersion: number, notice: MailIntent, event: SecurityEventRecord, now: number): Promise<boolean> {
    const version = methodsVersion === 0 ? '(attribute_not_exists(identitiesVersion) OR identitiesVersion = :version)' : 'identitiesVersion = :version';
    const items: TransactItem[] = [
      {
        Delete: {
          TableName: this.tableName,
          Key: pointerKey(identity.provider, identity.subject),
          ConditionExpression: 'userId = :user',
          ExpressionAttributeValues: { ':user': identity.userId },
        },
      },
      {
        Delete: {
          TableName: this.tableName,
          Key: ownedKey(identity.userId, identity.provider),
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': identity.id },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: userKeys.user(identity.userId),
          UpdateExpression: `SET ${BUMP_IDENTITIES}`,
          ConditionExpression: `attribute_exists(pk) AND ${version}`,
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':version': methodsVersion },
        },
      },
      { Put: { TableName: this.tableName, Item: intentItem(notice, now) } },
      ...eventPut(this.tableName, event),
    ];
    return transactWriteIfConditionsHold(this.client, items);
  }

  async forgetAllOfUser(userId: string): Promise<void> {
    for (const identity of await this.listOfUser(userId)) {
      await transactWriteIfConditionsHold(this.client, [
        {
          Delete: {
            TableName: this.tableName,
            Key: pointerKey(identity.provider, identity.subject),
            // Only this account's pointer: the identity may be someone else's by now.
            ConditionExpression: 'attribute_not_exists(pk) OR userId = :user',
            ExpressionAttributeValues: { ':user': userId },
          },
        },
        { Delete: { TableName: this.tableName, Key: ownedKey(userId, identity.provider) } },
      ]);
    }
  }

  /** The pointer, iff no account holds the identity (or only `staleOwner`, a deleted account whose pointer was left behind). */
  private putPointer(identity: IdentityRecord, staleOwner: string | undefined): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...pointerKey(identity.provider, identity.subject), userId: identity.userId, id: identity.id },
        ConditionExpression: staleOwner === undefined ? 'attribute_not_exists(pk)' : 'attribute_not_exists(pk) OR userId = :stale',
        ...(staleOwner === undefined ? {} : { ExpressionAttributeValues: { ':stale': staleOwner } }),
      },
    };
  }

  /** The identity under its account, iff the account has none of this provider yet. */
  private putOwned(identity: IdentityRecord): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...ownedKey(identity.userId, identity.provider), ...identity },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }
}
