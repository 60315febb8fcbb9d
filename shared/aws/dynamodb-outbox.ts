import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INTENT_KEY_PREFIX, INTENT_TTL_SECONDS, type MailIntent } from '../outbox';
import type { IntentStore, Outbox } from '../stores';
import { writeConditionally } from './conditional-write';

/**
 * MAIL#<uuid>: a mail intent (kind, address, createdAt; sentAt once the mailer sent or decided
 * not to; rejectedBy when SES refused it for good). SENDLIMIT#<key>#<window>: the ids of the intents
 * counted against a per-mailbox or per-source limit (never more ids than the limit), or a plain
 * count for the global cap.
 */
const intentKey = (id: string) => ({ pk: `${INTENT_KEY_PREFIX}${id}`, sk: 'MAIL' });

/** The counter item of the fixed window `now` falls in, and when it expires (a minute after the window). */
function limitWindow(key: string, windowSeconds: number, now: number) {
  const windowStart = Math.floor(now / 1000 / windowSeconds) * windowSeconds;
  return { Key: { pk: `SENDLIMIT#${key}#${windowStart}`, sk: 'SENDLIMIT' }, expires: windowStart + windowSeconds + 60 };
}

/** The item of a new intent: also what a state-changing transaction puts for its notice. */
export function intentItem(intent: MailIntent, createdAt: number): Record<string, unknown> {
  return { ...intentKey(randomUUID()), ...intent, createdAt, expiresAt: Math.ceil(createdAt / 1000) + INTENT_TTL_SECONDS };
}

export class DynamoOutbox implements Outbox, IntentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async enqueue(intent: MailIntent): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: intentItem(intent, this.now()) }));
  }

  async isSent(intentId: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: intentKey(intentId), ConsistentRead: true, ProjectionExpression: 'sentAt' }),
    );
    return Item?.sentAt !== undefined;
  }

  async markSent(intentId: string, now: number): Promise<void> {
    await writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: intentKey(intentId),
        UpdateExpression: 'SET sentAt = :now',
        // Never recreate an intent TTL already removed: only mark what is there.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
  }

  async markRejected(intentId: string, reason: string, now: number): Promise<void> {
    await writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: intentKey(intentId),
        // sentAt is the marker a redelivery checks: a refused mail is decided, never retried.
        UpdateExpression: 'SET sentAt = :now, rejectedBy = :reason',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now, ':reason': reason },
      }),
    );
  }

  async claimInWindow(key: string, intentId: string, windowSeconds: number, limit: number, now: number): Promise<boolean> {
    const { Key, expires } = limitWindow(key, windowSeconds, now);
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        // A string set: adding an id twice (a redelivered intent) does not count it twice. The
        // condition keeps the set at `limit` ids however many intents arrive (an item holds 400 KB).
        UpdateExpression: 'ADD intents :id SET expiresAt = :expires',
        ConditionExpression: 'attribute_not_exists(intents) OR contains(intents, :intentId) OR size(intents) < :limit',
        ExpressionAttributeValues: { ':id': new Set([intentId]), ':intentId': intentId, ':limit': limit, ':expires': expires },
      }),
    );
  }

  async countInCappedWindow(key: string, windowSeconds: number, limit: number, now: number): Promise<boolean> {
    const { Key, expires } = limitWindow(key, windowSeconds, now);
    return writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'ADD hits :one SET expiresAt = :expires',
        ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expires': expires },
      }),
    );
  }
}
