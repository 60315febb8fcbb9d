import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SessionClient } from '../auth/session-client';
import type { AuthMethod, RotationOutcome, SessionRecord, SessionStore } from '../stores';
import { tableSchema } from '../table';
import { writeConditionally } from './conditional-write';
import { isConditionFailure } from './errors';

/**
 * SESSION#<id> items, indexed by user through the sparse GSI (gsi1pk = USER#<userId>).
 * TTL (expiresAt) is the absolute end of the session: it only cleans up; the code enforces it.
 */
const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: 'SESSION' });

export function sessionToItem(session: SessionRecord): Record<string, unknown> {
  return {
    ...sessionKey(session.id),
    gsi1pk: `USER#${session.userId}`,
    gsi1sk: `SESSION#${session.createdAt}`,
    id: session.id,
    userId: session.userId,
    generation: session.generation,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    absoluteExpiresAt: session.absoluteExpiresAt,
    expiresAt: Math.ceil(session.absoluteExpiresAt / 1000),
    ...(session.userAgent !== undefined ? { userAgent: session.userAgent } : {}),
    ...(session.ipAddress !== undefined ? { ipAddress: session.ipAddress } : {}),
    ...(session.amr !== undefined ? { amr: [...session.amr] } : {}),
    ...(session.roles?.length ? { roles: [...session.roles] } : {}),
  };
}

function toRecord(item: Record<string, unknown>): SessionRecord {
  return {
    id: item.id as string,
    userId: item.userId as string,
    generation: item.generation as number,
    createdAt: item.createdAt as number,
    lastUsedAt: item.lastUsedAt as number,
    absoluteExpiresAt: item.absoluteExpiresAt as number,
    ...(typeof item.rotatedAt === 'number' ? { rotatedAt: item.rotatedAt } : {}),
    ...(typeof item.revokedAt === 'number' ? { revokedAt: item.revokedAt } : {}),
    ...(typeof item.userAgent === 'string' ? { userAgent: item.userAgent } : {}),
    ...(typeof item.ipAddress === 'string' ? { ipAddress: item.ipAddress } : {}),
    ...(Array.isArray(item.amr) ? { amr: item.amr as AuthMethod[] } : {}),
    ...(Array.isArray(item.roles) && item.roles.length ? { roles: item.roles as string[] } : {}),
  };
}

/** SET clauses recording the refreshing device; attributes the request did not yield are left as they were. */
function clientUpdate(client: SessionClient): { set: string; values: Record<string, string> } {
  const entries = Object.entries(client).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return {
    set: entries.map(([name]) => `, ${name} = :${name}`).join(''),
    values: Object.fromEntries(entries.map(([name, value]) => [`:${name}`, value])),
  };
}

/** At most this many revocations in flight at once for logout-all. */
const REVOKE_CONCURRENCY = 10;
/** DynamoDB's limit of keys per BatchGetItem. */
const BATCH_GET_LIMIT = 100;
/** Tries of one BatchGetItem before giving up on unprocessed keys (a throttled table): then 503. */
const BATCH_GET_ATTEMPTS = 4;

/** Keys DynamoDB kept leaving unprocessed: it is throttling the table, an outage like any other (503). */
class UnprocessedKeysError extends Error {
  override name = 'UnprocessedKeysError';
  readonly $retryable = { throttling: true };
  constructor() {
    super('BatchGetItem left keys unprocessed after every retry');
  }
}

export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(session: SessionRecord): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: sessionToItem(session), ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async get(sessionId: string, options: { consistent?: boolean } = {}): Promise<SessionRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: sessionKey(sessionId), ...(options.consistent ? { ConsistentRead: true } : {}) }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async rotate(sessionId: string, from: number, now: number, idleTimeoutMs: number, client: SessionClient = {}): Promise<RotationOutcome> {
    // Session list: the device of this refresh, in the same write (userAgent/ipAddress are not projected into the index).
    const device = clientUpdate(client);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(sessionId),
          UpdateExpression: `SET generation = :next, rotatedAt = :now, lastUsedAt = :now${device.set}`,
          // The same edges as sessionState(): live while now < absoluteExpiresAt and now < lastUsedAt + idle.
          ConditionExpression: 'generation = :from AND attribute_not_exists(revokedAt) AND absoluteExpiresAt > :now AND lastUsedAt > :idleSince',
          ExpressionAttributeValues: { ':from': from, ':next': from + 1, ':now': now, ':idleSince': now - idleTimeoutMs, ...device.values },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { rotated: true, session: toRecord(Attributes!) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // lib-dynamodb translates outputs, not exceptions: the old item arrives in wire format.
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return { rotated: false, current: item ? toRecord(unmarshall(item)) : undefined };
    }
  }

  async revoke(sessionId: string, now: number): Promise<void> {
    // A failed condition means already revoked (or gone): the outcome the caller wanted.
    await writeConditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: sessionKey(sessionId),
        UpdateExpression: 'SET revokedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
  }

  async listOfUser(userId: string, alsoInclude?: string): Promise<SessionRecord[]> {
    const ids = new Set(await this.unrevokedIdsOfUser(userId));
    if (alsoInclude) ids.add(alsoInclude);
    const sessions: SessionRecord[] = [];
    for (let i = 0; i < ids.size; i += BATCH_GET_LIMIT) {
      const keys = [...ids].slice(i, i + BATCH_GET_LIMIT).map(sessionKey);
      for (const item of await this.batchGet(keys)) sessions.push(toRecord(item));
    }
    // alsoInclude is only a hint that the index may lag: it still has to be one of the user's.
    return sessions.filter((session) => session.userId === userId && session.revokedAt === undefined);
  }

  /** One BatchGetItem of at most 100 keys, retrying what DynamoDB leaves unprocessed a bounded number of times. */
  private async batchGet(keys: Array<Record<string, string>>): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let pending: Array<Record<string, unknown>> | undefined = keys;
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt === BATCH_GET_ATTEMPTS) throw new UnprocessedKeysError();
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const reply: BatchGetCommandOutput = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(reply.Responses?.[this.tableName] ?? []));
      pending = reply.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return items;
  }

  /** Ids of the user's sessions not yet revoked, from the sessions-by-user index (projects only id and revokedAt). */
  private async unrevokedIdsOfUser(userId: string): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: tableSchema.sessionsByUserIndex.indexName,
          KeyConditionExpression: 'gsi1pk = :user',
          FilterExpression: 'attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':user': `USER#${userId}` },
          ProjectionExpression: 'id',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) ids.push(item.id as string);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }

  async revokeAllOfUser(userId: string, now: number, except?: string, alsoRevoke: readonly string[] = []): Promise<number> {
    const listed = await this.unrevokedIdsOfUser(userId);
    const ids = [...new Set([...listed, ...alsoRevoke])].filter((id) => id !== except);
    for (let i = 0; i < ids.length; i += REVOKE_CONCURRENCY) {
      await Promise.all(ids.slice(i, i + REVOKE_CONCURRENCY).map((id) => this.revoke(id, now)));
    }
    return ids.length;
  }

  async setRolesOfUser(userId: string, roles: readonly string[], alsoSet: readonly string[] = []): Promise<void> {
    const ids = [...new Set([...(await this.unrevokedIdsOfUser(userId)), ...alsoSet])];
    const update = (id: string) =>
      writeConditionally(
        this.client,
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(id),
          UpdateExpression: roles.length ? 'SET #roles = :roles' : 'REMOVE #roles',
          // Only the user's own, still there (never an item made by the update).
          ConditionExpression: 'attribute_exists(pk) AND userId = :user',
          ExpressionAttributeNames: { '#roles': 'roles' },
          ExpressionAttributeValues: { ':user': userId, ...(roles.length ? { ':roles': [...roles] } : {}) },
        }),
      );
    for (let i = 0; i < ids.length; i += REVOKE_CONCURRENCY) await Promise.all(ids.slice(i, i + REVOKE_CONCURRENCY).map(update));
  }
}
