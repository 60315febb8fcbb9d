import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChallengeRecord, ChallengeStore } from '../stores';
import { isConditionFailure } from './errors';

/**
 * CHALLENGE#<sha256 of the secret>: single-use challenges and flow states. The secret itself is
 * never stored; TTL (expiresAt, epoch seconds) only cleans up, validUntil (ms) is what counts.
 */
const challengeKey = (hash: string) => ({ pk: `CHALLENGE#${hash}`, sk: 'CHALLENGE' });

export class DynamoChallengeStore implements ChallengeStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(challenge: ChallengeRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...challengeKey(challenge.hash),
          purpose: challenge.purpose,
          ...(challenge.userId ? { userId: challenge.userId } : {}),
          validUntil: challenge.expiresAt,
          expiresAt: Math.ceil(challenge.expiresAt / 1000),
        },
        // 256 random bits never collide; the condition only makes sure nothing is overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async consume(hash: string, now: number): Promise<ChallengeRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: challengeKey(hash),
          ConditionExpression: 'attribute_exists(pk) AND validUntil > :now',
          ExpressionAttributeValues: { ':now': now },
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (!Attributes) return undefined;
      return {
        hash,
        purpose: Attributes.purpose as ChallengeRecord['purpose'],
        ...(typeof Attributes.userId === 'string' ? { userId: Attributes.userId } : {}),
        expiresAt: Attributes.validUntil as number,
      };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
