import { DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './errors';

/**
 * Deletes a single-use item iff it is there and its `validUntil` (epoch ms) is after `now`,
 * answering it as it was: one conditional delete, so of parallel uses exactly one gets it.
 * Undefined otherwise.
 */
export async function consumeOnce(client: DynamoDBDocumentClient, tableName: string, key: { pk: string; sk: string }, now: number): Promise<Record<string, unknown> | undefined> {
  try {
    const { Attributes } = await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: key,
        ConditionExpression: 'attribute_exists(pk) AND validUntil > :now',
        ExpressionAttributeValues: { ':now': now },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Every item under the user's partition whose sort key starts with `prefix` (passkeys), read consistently, all pages. */
export async function itemsOfUser(client: DynamoDBDocumentClient, tableName: string, userId: string, prefix: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :user AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':user': `USER#${userId}`, ':prefix': prefix },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
