import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChallengeRecord, ChallengeStore, NewIdentity, OAuthFlowState } from '../stores';
import { consumeOnce } from './one-shot';

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
          ...(challenge.flow ? { flow: challenge.flow } : {}),
          ...(challenge.identity ? { identity: challenge.identity } : {}),
          validUntil: challenge.expiresAt,
          expiresAt: Math.ceil(challenge.expiresAt / 1000),
        },
        // 256 random bits never collide; the condition only makes sure nothing is overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async consume(hash: string, now: number): Promise<ChallengeRecord | undefined> {
    const item = await consumeOnce(this.client, this.tableName, challengeKey(hash), now);
    if (!item) return undefined;
    return {
      hash,
      purpose: item.purpose as ChallengeRecord['purpose'],
      ...(typeof item.userId === 'string' ? { userId: item.userId } : {}),
      ...(item.flow ? { flow: item.flow as OAuthFlowState } : {}),
      ...(item.identity ? { identity: item.identity as NewIdentity } : {}),
      expiresAt: item.validUntil as number,
    };
  }

}
