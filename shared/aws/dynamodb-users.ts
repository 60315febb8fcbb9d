import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CreateUserOutcome, PendingVerification, ReplacePendingOutcome, SessionRecord, UserRecord, UserStore } from '../stores';
import { cancellationReasons } from './errors';
import { sessionToItem } from './dynamodb-sessions';
import { transactWrite, type TransactItem } from './dynamodb-transactions';

/**
 * Items: USER#<id> (the user), EMAIL#<email> and USERNAME#<lower-case name> (uniqueness, pointing
 * at the user id), VERIFY#<sha256 of link token> (pending link, pointing at the user id).
 * The user row also holds the hash of its one current link, so a newer link kills older ones.
 */
const key = {
  user: (id: string) => ({ pk: `USER#${id}`, sk: 'USER' }),
  email: (email: string) => ({ pk: `EMAIL#${email}`, sk: 'EMAIL' }),
  username: (name: string) => ({ pk: `USERNAME#${name.toLowerCase()}`, sk: 'USERNAME' }),
  verification: (tokenHash: string) => ({ pk: `VERIFY#${tokenHash}`, sk: 'VERIFY' }),
};

interface UserItem {
  id: string;
  email: string;
  username?: string;
  passwordHash: string;
  emailVerified: boolean;
  createdAt: string;
  verificationTokenHash?: string;
  verificationExpiresAt?: number;
}

function toRecord(item: Record<string, unknown>): UserRecord {
  const u = item as unknown as UserItem;
  return {
    id: u.id,
    email: u.email,
    ...(u.username ? { username: u.username } : {}),
    passwordHash: u.passwordHash,
    emailVerified: u.emailVerified === true,
    createdAt: u.createdAt,
    ...(u.verificationTokenHash && u.verificationExpiresAt
      ? { verification: { tokenHash: u.verificationTokenHash, expiresAt: u.verificationExpiresAt } }
      : {}),
  };
}

const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

export class DynamoUserStore implements UserStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findById(id: string): Promise<UserRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key.user(id), ConsistentRead: true }));
    return Item ? toRecord(Item) : undefined;
  }

  findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.findByPointer(key.email(email));
  }

  findByUsername(username: string): Promise<UserRecord | undefined> {
    return this.findByPointer(key.username(username));
  }

  async findByVerificationToken(tokenHash: string): Promise<UserRecord | undefined> {
    const user = await this.findByPointer(key.verification(tokenHash));
    return user?.verification?.tokenHash === tokenHash ? user : undefined;
  }

  async createPending(user: UserRecord & { verification: PendingVerification }): Promise<CreateUserOutcome> {
    const items: TransactItem[] = [
      { Put: { TableName: this.tableName, Item: { ...key.user(user.id), ...this.userItem(user) }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: { ...key.email(user.email), userId: user.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
      this.verificationPut(user.id, user.verification),
    ];
    if (user.username) {
      items.push({ Put: { TableName: this.tableName, Item: { ...key.username(user.username), userId: user.id }, ConditionExpression: 'attribute_not_exists(pk)' } });
    }
    try {
      await transactWrite(this.client, items);
      return 'created';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[1] === 'ConditionalCheckFailed') return 'email_taken';
      if (reasons?.[3] === 'ConditionalCheckFailed') return 'username_taken';
      throw error;
    }
  }

  async replacePending(
    existing: UserRecord,
    update: { passwordHash: string; username?: string; verification: PendingVerification },
  ): Promise<ReplacePendingOutcome> {
    const usernameChanges = (existing.username?.toLowerCase() ?? '') !== (update.username?.toLowerCase() ?? '');
    const condition = this.unchangedPendingCondition(existing);
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.tableName,
          Key: key.user(existing.id),
          UpdateExpression: update.username
            ? 'SET passwordHash = :hash, verificationTokenHash = :token, verificationExpiresAt = :exp, username = :username'
            : 'SET passwordHash = :hash, verificationTokenHash = :token, verificationExpiresAt = :exp REMOVE username',
          ConditionExpression: condition.ConditionExpression,
          ExpressionAttributeValues: {
            ...condition.ExpressionAttributeValues,
            ':hash': update.passwordHash,
            ':token': update.verification.tokenHash,
            ':exp': update.verification.expiresAt,
            ...(update.username ? { ':username': update.username } : {}),
          },
        },
      },
      this.verificationPut(existing.id, update.verification),
      ...this.verificationDelete(existing),
    ];
    if (usernameChanges && update.username) {
      items.push({ Put: { TableName: this.tableName, Item: { ...key.username(update.username), userId: existing.id }, ConditionExpression: 'attribute_not_exists(pk)' } });
    }
    if (usernameChanges && existing.username) {
      items.push({ Delete: { TableName: this.tableName, Key: key.username(existing.username) } });
    }
    try {
      await transactWrite(this.client, items);
      return 'replaced';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0] === 'ConditionalCheckFailed') return 'changed_meanwhile';
      if (reasons?.some((r) => r === 'ConditionalCheckFailed')) return 'username_taken';
      throw error;
    }
  }

  async deletePending(user: UserRecord & { verification: PendingVerification }): Promise<void> {
    const owned = { ConditionExpression: 'userId = :id', ExpressionAttributeValues: { ':id': user.id } };
    const items: TransactItem[] = [
      { Delete: { TableName: this.tableName, Key: key.user(user.id), ...this.unchangedPendingCondition(user) } },
      { Delete: { TableName: this.tableName, Key: key.email(user.email), ...owned } },
      { Delete: { TableName: this.tableName, Key: key.verification(user.verification.tokenHash) } },
    ];
    if (user.username) items.push({ Delete: { TableName: this.tableName, Key: key.username(user.username), ...owned } });
    await transactWrite(this.client, items);
  }

  async replaceVerification(user: UserRecord, verification: PendingVerification): Promise<boolean> {
    const condition = this.unchangedPendingCondition(user);
    return this.writeUnlessUserChanged([
      {
        Update: {
          TableName: this.tableName,
          Key: key.user(user.id),
          UpdateExpression: 'SET verificationTokenHash = :token, verificationExpiresAt = :exp',
          ConditionExpression: condition.ConditionExpression,
          ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':token': verification.tokenHash, ':exp': verification.expiresAt },
        },
      },
      this.verificationPut(user.id, verification),
      ...this.verificationDelete(user),
    ]);
  }

  activate(user: UserRecord, tokenHash: string, firstSession: SessionRecord): Promise<boolean> {
    return this.writeUnlessUserChanged([
      {
        Update: {
          TableName: this.tableName,
          Key: key.user(user.id),
          UpdateExpression: 'SET emailVerified = :true REMOVE verificationTokenHash, verificationExpiresAt',
          ConditionExpression: 'verificationTokenHash = :token',
          ExpressionAttributeValues: { ':true': true, ':token': tokenHash },
        },
      },
      { Delete: { TableName: this.tableName, Key: key.verification(tokenHash) } },
      { Put: { TableName: this.tableName, Item: sessionToItem(firstSession), ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key.user(userId),
        UpdateExpression: 'SET passwordHash = :hash',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':hash': passwordHash },
      }),
    );
  }

  /** Runs a transaction whose first item is a conditional write on the user row; false when that condition failed. */
  private async writeUnlessUserChanged(items: TransactItem[]): Promise<boolean> {
    try {
      await transactWrite(this.client, items);
      return true;
    } catch (error) {
      if (cancellationReasons(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  private async findByPointer(pointerKey: Record<string, string>): Promise<UserRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: pointerKey, ConsistentRead: true }));
    return typeof Item?.userId === 'string' ? this.findById(Item.userId) : undefined;
  }

  private userItem(user: UserRecord & { verification: PendingVerification }): UserItem {
    return {
      id: user.id,
      email: user.email,
      username: user.username,
      passwordHash: user.passwordHash,
      emailVerified: user.emailVerified,
      createdAt: user.createdAt,
      verificationTokenHash: user.verification.tokenHash,
      verificationExpiresAt: user.verification.expiresAt,
    };
  }

  /** Optimistic lock: the user is still unverified and still has the link we read. */
  private unchangedPendingCondition(user: UserRecord) {
    return user.verification
      ? {
          ConditionExpression: 'emailVerified = :false AND verificationTokenHash = :oldToken',
          ExpressionAttributeValues: { ':false': false, ':oldToken': user.verification.tokenHash } as Record<string, unknown>,
        }
      : {
          ConditionExpression: 'emailVerified = :false AND attribute_not_exists(verificationTokenHash)',
          ExpressionAttributeValues: { ':false': false } as Record<string, unknown>,
        };
  }

  private verificationPut(userId: string, verification: PendingVerification): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...key.verification(verification.tokenHash), userId, expiresAt: epochSeconds(verification.expiresAt) },
      },
    };
  }

  private verificationDelete(user: UserRecord): TransactItem[] {
    return user.verification ? [{ Delete: { TableName: this.tableName, Key: key.verification(user.verification.tokenHash) } }] : [];
  }
}
