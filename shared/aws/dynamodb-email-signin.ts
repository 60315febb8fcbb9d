import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EmailSignin, EmailSigninStore } from '../stores';
import { writeConditionally } from './conditional-write';
import { consumeOnce } from './one-shot';

/**
 * SIGNIN#<hash>: one item for a mailed sign-in link and one for its code. The user item carries
 * `emailSigninVersion` (absent = 0): a sign-in by link or code commits by bumping it, so every
 * other link and code of the account (made at the old version) is dead from then on.
 */
const signinKey = (hash: string) => ({ pk: `SIGNIN#${hash}`, sk: 'SIGNIN' });
/** SIGNINCODES#<hash of the address>: how many attempts the address's newest code has had. */
const codeBudgetKey = (addressHash: string) => ({ pk: `SIGNINCODES#${addressHash}`, sk: 'SIGNINCODES' });
const userKey = (id: string) => ({ pk: `USER#${id}`, sk: 'USER' });

export class DynamoEmailSigninStore implements EmailSigninStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async versionOf(userId: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: userKey(userId), ConsistentRead: true, ProjectionExpression: 'pk, emailSigninVersion' }),
    );
    if (!Item) return undefined;
    return typeof Item.emailSigninVersion === 'number' ? Item.emailSigninVersion : 0;
  }

  async create(linkHash: string, codeHash: string, addressHash: string, signin: EmailSignin): Promise<void> {
    const lifetime = { validUntil: signin.expiresAt, expiresAt: Math.ceil(signin.expiresAt / 1000) };
    const item = { userId: signin.userId, signinVersion: signin.signinVersion, ...lifetime };
    await Promise.all([
      ...[linkHash, codeHash].map((hash) => this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...signinKey(hash), ...item } }))),
      // Written before the mail goes out: the code can never be tried without its budget.
      this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...codeBudgetKey(addressHash), attempts: 0, ...lifetime } })),
    ]);
  }

  claimCodeAttempt(addressHash: string, maxAttempts: number, now: number): Promise<boolean> {
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: codeBudgetKey(addressHash),
        UpdateExpression: 'SET attempts = attempts + :one',
        ConditionExpression: 'attribute_exists(pk) AND attempts < :max AND validUntil > :now',
        ExpressionAttributeValues: { ':one': 1, ':max': maxAttempts, ':now': now },
      }),
    );
  }

  async consume(hash: string, now: number): Promise<EmailSignin | undefined> {
    const item = await consumeOnce(this.client, this.tableName, signinKey(hash), now);
    if (typeof item?.userId !== 'string') return undefined;
    return { userId: item.userId, signinVersion: item.signinVersion as number, expiresAt: item.validUntil as number };
  }

  complete(userId: string, signinVersion: number): Promise<boolean> {
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: userKey(userId),
        UpdateExpression: 'SET emailSigninVersion = :next',
        ConditionExpression: signinVersion === 0
          ? 'attribute_exists(pk) AND (attribute_not_exists(emailSigninVersion) OR emailSigninVersion = :version)'
          : 'attribute_exists(pk) AND emailSigninVersion = :version',
        ExpressionAttributeValues: { ':version': signinVersion, ':next': signinVersion + 1 },
      }),
    );
  }
}
