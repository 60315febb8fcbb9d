import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LIFECYCLE_SOURCE, type LifecycleSink } from '../lifecycle';
import { awsClientOptions } from './client-options';

const eventBridge = new EventBridgeClient(awsClientOptions);
/** PutEvents takes at most 10 entries. */
const BATCH = 10;

/** Publishes to the bus; any entry refused makes the whole call fail, so the stream record is retried (ids de-duplicate). */
export function eventBridgeSink(busName: string): LifecycleSink {
  return {
    publish: async (events) => {
      for (let i = 0; i < events.length; i += BATCH) {
        const { FailedEntryCount } = await eventBridge.send(
          new PutEventsCommand({
            Entries: events.slice(i, i + BATCH).map((event) => ({
              EventBusName: busName,
              Source: LIFECYCLE_SOURCE,
              DetailType: event.type,
              Time: new Date(event.time),
              Detail: JSON.stringify(event),
            })),
          }),
        );
        if (FailedEntryCount) throw new Error(`EventBridge refused ${FailedEntryCount} lifecycle events`);
      }
    },
  };
}
