import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecurityEventRecord } from '../security-events';
import type { AdminStore, AdminUserView } from '../stores';
import { tableSchema } from '../table';
import { eventPut } from './dynamodb-events';
import { transactWriteIfFirstHolds } from './dynamodb-transactions';

const userKey = (id: string) => ({ pk: `USER#${id}`, sk: 'USER' });
const index = tableSchema.usersByEmailIndex;

function toView(item: Record<string, unknown>): AdminUserView {
  return {
    id: item.id as string,
    email: item.email as string,
    ...(typeof item.username === 'string' ? { username: item.username } : {}),
    createdAt: item.createdAt as string,
    roles: Array.isArray(item.roles) ? (item.roles as string[]) : [],
    disabled: item.disabled === true,
  };
}

/** The cursor is the last listed user's email, opaque to the client. */
const cursorOf = (user: AdminUserView) => Buffer.from(JSON.stringify([user.email, user.id])).toString('base64url');
function startKeyOf(cursor: string): Record<string, string> | undefined {
  try {
    const [email, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof email !== 'string' || typeof id !== 'string') return undefined;
    return { ...userKey(id), [index.partitionKey]: index.partitionValue, [index.sortKey]: email };
  } catch {
    return undefined;
  }
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** What only the admin API does to users: list them through the sparse users-by-email index, flip `disabled`, set roles. */
export class DynamoAdminStore implements AdminStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listUsers(limit: number, emailPrefix?: string, cursor?: string): Promise<{ users: AdminUserView[]; nextCursor?: string }> {
    const startKey = cursor === undefined ? undefined : startKeyOf(cursor);
    if (cursor !== undefined && !startKey) throw new InvalidCursorError('unreadable cursor');
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: emailPrefix ? '#pk = :users AND begins_with(#sk, :prefix)' : '#pk = :users',
        ExpressionAttributeNames: { '#pk': index.partitionKey, ...(emailPrefix ? { '#sk': index.sortKey } : {}) },
        ExpressionAttributeValues: { ':users': index.partitionValue, ...(emailPrefix ? { ':prefix': emailPrefix } : {}) },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const users = (page.Items ?? []).map(toView);
    const last = users.at(-1);
    return { users, ...(page.LastEvaluatedKey && last ? { nextCursor: cursorOf(last) } : {}) };
  }

  setDisabled(userId: string, disabled: boolean, event: SecurityEventRecord): Promise<boolean> {
    return this.updateUser(userId, disabled ? 'SET disabled = :true' : 'REMOVE disabled', disabled ? { ':true': true } : undefined, event);
  }

  setRoles(userId: string, roles: readonly string[], event: SecurityEventRecord): Promise<boolean> {
    return this.updateUser(userId, roles.length ? 'SET #roles = :roles' : 'REMOVE #roles', roles.length ? { ':roles': [...roles] } : undefined, event, { '#roles': 'roles' });
  }

  /** The change and its event in one transaction; false when the user does not exist. */
  private updateUser(
    userId: string,
    update: string,
    values: Record<string, unknown> | undefined,
    event: SecurityEventRecord,
    names?: Record<string, string>,
  ): Promise<boolean> {
    return transactWriteIfFirstHolds(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: userKey(userId),
          UpdateExpression: update,
          ConditionExpression: 'attribute_exists(pk)',
          ...(values ? { ExpressionAttributeValues: values } : {}),
          ...(names ? { ExpressionAttributeNames: names } : {}),
        },
      },
      ...eventPut(this.tableName, event),
    ]);
  }
}
