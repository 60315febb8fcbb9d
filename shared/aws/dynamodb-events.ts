import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecurityEventRecord } from '../security-events';
import type { SecurityEventStore } from '../stores';
import type { TransactItem } from './dynamodb-transactions';

/** USER#<userId> / EVT#<time-ordered id>: beside the user item, so one Query lists them newest first. */
const EVENT_PREFIX = 'EVT#';
const eventKey = (userId: string, id: string) => ({ pk: `USER#${userId}`, sk: `${EVENT_PREFIX}${id}` });

export function eventItem(event: SecurityEventRecord): Record<string, unknown> {
  return { ...eventKey(event.userId, event.id), ...event };
}

/** The Put a state-changing transaction adds for the event that records it. */
export function eventPut(tableName: string, event: SecurityEventRecord | undefined): TransactItem[] {
  return event ? [{ Put: { TableName: tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(pk)' } }] : [];
}

const cursorOf = (id: string) => Buffer.from(id).toString('base64url');
const idOfCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString();

function toRecord(item: Record<string, unknown>): SecurityEventRecord {
  const { pk: _pk, sk: _sk, ...event } = item;
  return event as unknown as SecurityEventRecord;
}

export class DynamoSecurityEventStore implements SecurityEventStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(event: SecurityEventRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async listOfUser(userId: string, limit: number, now: number, cursor?: string): Promise<{ events: SecurityEventRecord[]; nextCursor?: string }> {
    const events: SecurityEventRecord[] = [];
    let startKey: Record<string, unknown> | undefined = cursor ? eventKey(userId, idOfCursor(cursor)) : undefined;
    // Newest first. TTL deletes late, so expired events are filtered out; a page may then come
    // back short, and the next one is read until `limit` are found or none are left.
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':pk': `USER#${userId}`, ':prefix': EVENT_PREFIX, ':now': Math.floor(now / 1000) },
          ScanIndexForward: false,
          Limit: limit - events.length,
          ExclusiveStartKey: startKey,
        }),
      );
      events.push(...(page.Items ?? []).map(toRecord));
      startKey = page.LastEvaluatedKey;
    } while (startKey && events.length < limit);
    const last = events.at(-1);
    return { events, ...(startKey && last ? { nextCursor: cursorOf(last.id) } : {}) };
  }
}
