import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SuppressionList } from '../stores';
import { writeConditionally } from './conditional-write';

/**
 * SUPPRESS#<address>: an address the mailer never mails again (reason, when, SES feedback id).
 * No expiresAt: a hard bounce or a complaint stands until an operator deletes the item
 * (docs/deploy.md). The mail-feedback function may put only items under this prefix.
 */
export const SUPPRESSION_KEY_PREFIX = 'SUPPRESS#';
const suppressionKey = (email: string) => ({ pk: `${SUPPRESSION_KEY_PREFIX}${email}`, sk: 'SUPPRESS' });

export class DynamoSuppressionList implements SuppressionList {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async isSuppressed(email: string): Promise<boolean> {
    // Strongly consistent: a bounce recorded a moment ago already stops the next mail.
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: suppressionKey(email), ConsistentRead: true, ProjectionExpression: 'pk' }),
    );
    return Item !== undefined;
  }

  async suppress(entry: { email: string; reason: 'bounce' | 'complaint'; at: number; feedbackId?: string }): Promise<void> {
    await writeConditionally(
      this.client,
      new PutCommand({
        TableName: this.tableName,
        Item: { ...suppressionKey(entry.email), reason: entry.reason, suppressedAt: entry.at, ...(entry.feedbackId ? { feedbackId: entry.feedbackId } : {}) },
        // The first event is the one worth keeping; SES may deliver the same event twice.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }
}
