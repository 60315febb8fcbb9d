import { describe, expect, it } from 'vitest';
import { matchesFilter, RETRY_ATTEMPTS, retryPauseMs, toLambdaRecord } from '../../infra/local/stream';
import { intentStreamFilter } from '../../shared/outbox';

const streamArn = 'arn:aws:dynamodb:ddblocal:000000000000:table/auth/stream/2026-11-28T00:00:00.000';

/** A record as the DynamoDB Streams API returns it to the SDK. */
const streamsRecord = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', pk: string) => ({
  eventID: 'e1',
  eventName,
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'ddblocal',
  dynamodb: {
    ApproximateCreationDateTime: new Date('2026-11-28T12:00:00.000Z'),
    Keys: { pk: { S: pk }, sk: { S: 'MAIL' } },
    NewImage: { pk: { S: pk }, sk: { S: 'MAIL' }, kind: { S: 'signup' } },
    SequenceNumber: '000000000000000000042',
    SizeBytes: 60,
    StreamViewType: 'NEW_IMAGE' as const,
  },
});

describe('the local stream reader', () => {
  it('hands the mailer records in the shape Lambda delivers: the stream ARN added, the time in epoch seconds', () => {
    // Act
    const record = toLambdaRecord(streamsRecord('INSERT', 'MAIL#1'), streamArn);

    // Assess
    expect(record).toEqual({
      eventID: 'e1', eventName: 'INSERT', eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: 'ddblocal', eventSourceARN: streamArn,
      dynamodb: {
        ApproximateCreationDateTime: Date.parse('2026-11-28T12:00:00.000Z') / 1000,
        Keys: { pk: { S: 'MAIL#1' }, sk: { S: 'MAIL' } },
        NewImage: { pk: { S: 'MAIL#1' }, sk: { S: 'MAIL' }, kind: { S: 'signup' } },
        SequenceNumber: '000000000000000000042',
        SizeBytes: 60,
        StreamViewType: 'NEW_IMAGE',
      },
    });
  });

  it.each([
    ['an inserted intent', 'INSERT', 'MAIL#1', true],
    ['the sent-marker update of an intent', 'MODIFY', 'MAIL#1', false],
    ['an intent removed by TTL', 'REMOVE', 'MAIL#1', false],
    ['an inserted session', 'INSERT', 'SESSION#1', false],
    ['an inserted send-limit counter', 'INSERT', 'SENDLIMIT#signup#a@example.com#0', false],
  ] as const)('applies the event-source filter of the stack: %s passes: %s', (_, eventName, pk, passes) => {
    // Act
    const matched = matchesFilter(intentStreamFilter, toLambdaRecord(streamsRecord(eventName, pk), streamArn));

    // Assess
    expect(matched).toBe(passes);
  });

  it('waits out an SES outage of 30 s before giving a record up', () => {
    // Act
    const pausesMs = Array.from({ length: RETRY_ATTEMPTS }, (_, i) => retryPauseMs(i + 1));

    // Assess: the pauses alone outlast the outage; the longest pause bounds how long mail waits once SES is back.
    expect(pausesMs.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThan(40_000);
    expect(Math.max(...pausesMs)).toBeLessThanOrEqual(8_000);
  });
});
