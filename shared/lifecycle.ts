import { appendFile } from 'node:fs/promises';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

/**
 * Lifecycle events for the team's code, published from the table's stream (at least once, each
 * with an id for de-duplication: the stream record's eventID, the same on every retry).
 * user.created / user.deleted come from the user item appearing and going; the others from the
 * security event the change wrote in its own transaction, so an event is published only for a
 * change that committed.
 */
export const LIFECYCLE_SOURCE = 'serverless-auth';

export type LifecycleType = 'user.created' | 'user.deleted' | 'email.changed' | 'roles.changed' | 'account.disabled' | 'account.enabled';

export interface LifecycleEvent {
  /** De-duplication key: the same for every delivery of the same change. */
  id: string;
  type: LifecycleType;
  userId: string;
  /** ISO 8601. */
  time: string;
  detail: Record<string, unknown>;
}

/** The stream records the publisher needs (Lambda event filters; the local stream reader applies the same). */
export const lifecycleStreamFilters = [
  { eventName: ['INSERT', 'REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'USER#' }] }, sk: { S: ['USER'] } } } },
  { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'USER#' }] }, sk: { S: [{ prefix: 'EVT#' }] } } } },
] as const;

const fromSecurityEvent: Record<string, LifecycleType> = {
  email_changed: 'email.changed',
  roles_changed: 'roles.changed',
  account_disabled: 'account.disabled',
  account_enabled: 'account.enabled',
};

/** The lifecycle event a stream record stands for, or undefined. */
export function lifecycleEventOf(record: DynamoDBRecord): LifecycleEvent | undefined {
  const keys = record.dynamodb?.Keys;
  const pk = keys?.pk?.S;
  const sk = keys?.sk?.S;
  if (!record.eventID || !pk?.startsWith('USER#') || !sk) return undefined;
  const userId = pk.slice('USER#'.length);
  const time = new Date((record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString();
  const image = record.dynamodb?.NewImage ? unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>) : undefined;
  if (sk === 'USER') {
    if (record.eventName === 'REMOVE') return { id: record.eventID, type: 'user.deleted', userId, time, detail: {} };
    if (record.eventName === 'INSERT') {
      return { id: record.eventID, type: 'user.created', userId, time, detail: { email: image?.email, roles: image?.roles ?? [] } };
    }
    return undefined;
  }
  const type = record.eventName === 'INSERT' && sk.startsWith('EVT#') ? fromSecurityEvent[String(image?.type)] : undefined;
  if (!type || !image) return undefined;
  const detail = { ...(image.roles ? { roles: image.roles } : {}), ...(image.actor ? { actor: image.actor } : {}) };
  return { id: record.eventID, type, userId, time: typeof image.at === 'string' ? image.at : time, detail };
}

/** Where lifecycle events go: EventBridge on AWS, a JSON lines file on the local stack. */
export interface LifecycleSink {
  publish(events: readonly LifecycleEvent[]): Promise<void>;
}

export function fileSink(path: string): LifecycleSink {
  return {
    publish: async (events) => {
      if (events.length) await appendFile(path, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
    },
  };
}
