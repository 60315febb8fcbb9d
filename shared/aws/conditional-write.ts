import type { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './errors';

/**
 * Sends a conditional write: true when it was made, false when its condition failed (an answer,
 * not an error: another request got there first, or the item is not what the write expects).
 * Every other failure goes up. Callers that only need the write to have happened or to be moot
 * ignore the result.
 */
export async function writeConditionally(client: DynamoDBDocumentClient, command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
  // send() is overloaded per command type; any of the three resolves to its output or throws.
  const send = client.send.bind(client) as (write: typeof command) => Promise<unknown>;
  try {
    await send(command);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
