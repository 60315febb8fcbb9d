import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { deliverIntent, isKnownIntentKind, type MailerContext } from '../../shared/auth/mailer';
import { createMailerContext } from '../../shared/mailer-services';
import { logger } from '../../shared/observability';
import { INTENT_KEY_PREFIX, type StoredIntent } from '../../shared/outbox';

/** The intent a stream record carries, or undefined for a record that is not a usable intent. */
function intentOf(record: DynamoDBRecord): StoredIntent | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  const pk = item.pk;
  if (typeof pk !== 'string' || !pk.startsWith(INTENT_KEY_PREFIX) || !isKnownIntentKind(item.kind) || typeof item.email !== 'string') return undefined;
  return { ...(item as StoredIntent), id: pk.slice(INTENT_KEY_PREFIX.length) };
}

/**
 * Processes a batch of stream records in order. On the first failure it stops and reports that
 * record: the event source retries the batch from it (stream order within a shard is kept), and
 * the records before it count as done.
 */
export function mailerHandler(ctx: MailerContext) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    for (const record of event.Records) {
      const intent = intentOf(record);
      if (!intent) {
        // A poison record would block its shard until it expires; nothing can be sent for it anyway.
        logger.error('stream record is not a mail intent; skipped', { eventID: record.eventID });
        continue;
      }
      try {
        const outcome = await deliverIntent(ctx, intent);
        logger.info('mail intent delivered', { intentId: intent.id, kind: intent.kind, outcome });
      } catch (error) {
        logger.warn('mail intent failed; it will be retried', { intentId: intent.id, kind: intent.kind, error: error instanceof Error ? error.name : 'unknown' });
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
      }
    }
    return { batchItemFailures: [] };
  };
}

/** The mailer: not an HTTP route; the table's stream invokes it with inserted mail intents. */
export const handler = mailerHandler(createMailerContext());
