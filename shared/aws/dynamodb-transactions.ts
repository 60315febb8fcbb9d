import { setTimeout as sleep } from 'node:timers/promises';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { cancellationReasons, isTransactionConflict } from './errors';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Attempts per transaction. A conflict means another request is writing one of the same items
 * right now (two sign-ups racing for a username, a refresh against a logout); it is over in
 * milliseconds, so a few quick retries almost always get through.
 */
export const TRANSACTION_ATTEMPTS = 4;
const BASE_DELAY_MS = 10;

/**
 * Every TransactWriteItems of the service goes through here. A transaction conflict is retried
 * after a jittered, doubling pause (10, 20, 40 ms at most, "full jitter" so racing writers do not
 * collide again in step); when it still conflicts, the error goes up and is answered as 503 with
 * Retry-After (aws/errors.ts). A failed condition is never retried: it is the answer.
 */
export async function transactWrite(client: DynamoDBDocumentClient, items: TransactItem[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      if (!isTransactionConflict(error) || attempt >= TRANSACTION_ATTEMPTS) throw error;
      await sleep(Math.random() * BASE_DELAY_MS * 2 ** (attempt - 1));
    }
  }
}

/**
 * A transaction whose first item carries the condition that decides it (the passkey still there,
 * the account still there, the pending secret still the one confirmed): true when written, false
 * when that condition failed, an answer like writeConditionally's. The other items' conditions are
 * never expected to fail, so their failure goes up with every other error.
 */
export async function transactWriteIfFirstHolds(client: DynamoDBDocumentClient, items: TransactItem[]): Promise<boolean> {
  try {
    await transactWrite(client, items);
    return true;
  } catch (error) {
    if (cancellationReasons(error)?.[0] === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/**
 * A transaction where any failed condition is an answer: undefined when written, else the
 * cancellation reasons in item order, for callers whose answer depends on which item refused.
 * A cancellation without a failed condition, and every other error, goes up.
 */
export async function refusalReasons(client: DynamoDBDocumentClient, items: TransactItem[]): Promise<string[] | undefined> {
  try {
    await transactWrite(client, items);
    return undefined;
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (!reasons?.includes('ConditionalCheckFailed')) throw error;
    return reasons;
  }
}

/** A transaction whose failed conditions, on any item, are an answer (false), not an error. */
export async function transactWriteIfConditionsHold(client: DynamoDBDocumentClient, items: TransactItem[]): Promise<boolean> {
  return (await refusalReasons(client, items)) === undefined;
}
