import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CreateAccountOutcome, SessionRecord, SignupToken, UserRecord, UserStore } from '../stores';
import { cancellationReasons } from './errors';
import { sessionToItem } from './dynamodb-sessions';
import { transactWrite, type TransactItem } from './dynamodb-transactions';

/**
 * Items: USER#<id> (the user), EMAIL#<email> and USERNAME#<lower-case name> (uniqueness, pointing
 * at the user id), SIGNUP#<sha256 of link token> (a mailed sign-up link, naming its address).
 * An account exists only from the moment a link is used: then the EMAIL item makes every other
 * link of the address useless.
 */
const key = {
  user: (id: string) => ({ pk: `USER#${id}`, sk: 'USER' }),
  email: (email: string) => ({ pk: `EMAIL#${email}`, sk: 'EMAIL' }),
  username: (name: string) => ({ pk: `USERNAME#${name.toLowerCase()}`, sk: 'USERNAME' }),
  signup: (tokenHash: string) => ({ pk: `SIGNUP#${tokenHash}`, sk: 'SIGNUP' }),
};

function toRecord(item: Record<string, unknown>): UserRecord {
  const u = item as unknown as UserRecord;
  return {
    id: u.id,
    email: u.email,
    ...(u.username ? { username: u.username } : {}),
    passwordHash: u.passwordHash,
    createdAt: u.createdAt,
    // Two-factor state lives on the same item (aws/dynamodb-mfa.ts); a login only needs to know it is on.
    ...(typeof item.totpSecret === 'string' ? { mfaEnabled: true } : {}),
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

  async createSignupToken(token: SignupToken): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...key.signup(token.tokenHash), email: token.email, expiresAt: epochSeconds(token.expiresAt) },
        // 256 random bits never collide; the condition only makes sure nothing is overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async findSignupToken(tokenHash: string): Promise<SignupToken | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key.signup(tokenHash), ConsistentRead: true }));
    if (typeof Item?.email !== 'string' || typeof Item.expiresAt !== 'number') return undefined;
    return { tokenHash, email: Item.email, expiresAt: Item.expiresAt * 1000 };
  }

  async createAccount(user: UserRecord, tokenHash: string, firstSession: SessionRecord, now: number): Promise<CreateAccountOutcome> {
    const absent = { ConditionExpression: 'attribute_not_exists(pk)' };
    // Indexes matter: the cancellation reasons come back in this order.
    const items: TransactItem[] = [
      {
        Delete: {
          TableName: this.tableName,
          Key: key.signup(tokenHash),
          ConditionExpression: 'attribute_exists(pk) AND email = :email AND expiresAt > :now',
          ExpressionAttributeValues: { ':email': user.email, ':now': Math.floor(now / 1000) },
        },
      },
      { Put: { TableName: this.tableName, Item: { ...key.email(user.email), userId: user.id }, ...absent } },
      { Put: { TableName: this.tableName, Item: { ...key.user(user.id), ...toRecord(user as unknown as Record<string, unknown>) }, ...absent } },
      { Put: { TableName: this.tableName, Item: sessionToItem(firstSession), ...absent } },
    ];
    if (user.username) {
      items.push({ Put: { TableName: this.tableName, Item: { ...key.username(user.username), userId: user.id }, ...absent } });
    }
    try {
      await transactWrite(this.client, items);
      return 'created';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0] === 'ConditionalCheckFailed' || reasons?.[1] === 'ConditionalCheckFailed') return 'invalid_token';
      if (reasons?.[4] === 'ConditionalCheckFailed') return 'username_taken';
      throw error;
    }
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

  private async findByPointer(pointerKey: Record<string, string>): Promise<UserRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: pointerKey, ConsistentRead: true }));
    return typeof Item?.userId === 'string' ? this.findById(Item.userId) : undefined;
  }
}
