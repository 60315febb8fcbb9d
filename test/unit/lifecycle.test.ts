import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { matchesFilter } from '../../infra/local/stream';
import { lifecycleEventOf, lifecycleStreamFilters } from '../../shared/lifecycle';

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', keys: { pk: string; sk: string }, image?: Record<string, unknown>): DynamoDBRecord {
  return {
    eventID: `evt-${Math.random()}`,
    eventName,
    dynamodb: { Keys: marshall(keys) as never, ...(image ? { NewImage: marshall({ ...keys, ...image }) as never } : {}), ApproximateCreationDateTime: 1_800_000_000, SequenceNumber: '1' },
  };
}
const passes = (r: DynamoDBRecord) => lifecycleStreamFilters.some((filter) => matchesFilter(filter, r));

describe('lifecycle events from the table stream', () => {
  it('publishes user.created when a user item appears and user.deleted when it goes, with the record id for de-duplication', () => {
    const created = record('INSERT', { pk: 'USER#u1', sk: 'USER' }, { email: 'a@example.com', passwordHash: 'argon2id$secret' });
    const deleted = record('REMOVE', { pk: 'USER#u1', sk: 'USER' });

    expect(lifecycleEventOf(created)).toEqual({ id: created.eventID, type: 'user.created', userId: 'u1', time: '2027-01-15T08:00:00.000Z', detail: { email: 'a@example.com', roles: [] } });
    expect(lifecycleEventOf(deleted)).toMatchObject({ id: deleted.eventID, type: 'user.deleted', userId: 'u1' });
    expect(JSON.stringify(lifecycleEventOf(created))).not.toContain('argon2id');
    expect([created, deleted].every(passes)).toBe(true);
  });

  it.each([
    ['email_changed', 'email.changed'],
    ['roles_changed', 'roles.changed'],
    ['account_disabled', 'account.disabled'],
    ['account_enabled', 'account.enabled'],
  ])('publishes the committed security event %s as %s', (type, lifecycle) => {
    const inserted = record('INSERT', { pk: 'USER#u1', sk: 'EVT#00001' }, { type, at: '2026-12-03T07:00:00.000Z', actor: 'arn:aws:iam::1:user/a' });

    expect(lifecycleEventOf(inserted)).toMatchObject({ type: lifecycle, userId: 'u1', time: '2026-12-03T07:00:00.000Z', detail: { actor: 'arn:aws:iam::1:user/a' } });
    expect(passes(inserted)).toBe(true);
  });

  it('publishes nothing for other events, for updates of the user, or for other items', () => {
    expect(lifecycleEventOf(record('INSERT', { pk: 'USER#u1', sk: 'EVT#1' }, { type: 'signed_in' }))).toBeUndefined();
    const modified = record('MODIFY', { pk: 'USER#u1', sk: 'USER' }, { email: 'a@example.com' });
    expect(lifecycleEventOf(modified)).toBeUndefined();
    expect(passes(modified)).toBe(false);
    expect(passes(record('INSERT', { pk: 'SESSION#s1', sk: 'SESSION' }, {}))).toBe(false);
  });
});
