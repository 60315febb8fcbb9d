import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { eventBridgeSink } from '../../shared/aws/eventbridge';
import { fileSink, lifecycleEventOf, type LifecycleSink } from '../../shared/lifecycle';
import { logger } from '../../shared/observability';

// EVENT_BUS_NAME on AWS; the local stack sets LIFECYCLE_EVENTS_FILE instead.
const sink: LifecycleSink = process.env.LIFECYCLE_EVENTS_FILE ? fileSink(process.env.LIFECYCLE_EVENTS_FILE) : eventBridgeSink(process.env.EVENT_BUS_NAME ?? '');

/**
 * Publishes the lifecycle events of a batch of stream records, in order. On a failure it reports
 * that record: the event source retries from it; events already published may come again (their
 * id stays the same, for the consumer to de-duplicate).
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  for (const record of event.Records) {
    const lifecycle = lifecycleEventOf(record);
    if (!lifecycle) continue;
    try {
      await sink.publish([lifecycle]);
    } catch (error) {
      logger.warn('lifecycle event not published; it will be retried', { type: lifecycle.type, error: error instanceof Error ? error.name : 'unknown' });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
};
