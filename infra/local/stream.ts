import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { intentStreamFilter } from '../../shared/outbox';
import { LOCAL_REGION, type DynamoDbLocalCredentials } from './dynamodb-local';

/**
 * The local stand-in for Lambda's DynamoDB event source: reads DynamoDB Local's stream with the
 * AWS SDK's DynamoDB Streams client, keeps the records that pass the same filter the CDK event
 * source has, and invokes the mailer handler with the event shape Lambda uses. A record the
 * handler reports as failed is retried (with the ones after it, as Lambda does) with a growing
 * pause. The stack's event source retries until a record is MAILER_MAX_RECORD_AGE (6 h) old;
 * here the bound is scaled down to RETRY_ATTEMPTS pauses (about 45 s), so an SES outage of half
 * a minute is ridden out as it is on AWS while a test still sees a record given up in seconds.
 * Then it is logged and kept in `deadLetters`, the stand-in for the stack's dead-letter queue.
 */
export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

const POLL_INTERVAL_MS = 100;
const SHARD_DISCOVERY_INTERVAL_MS = 1_000;
/** The local stand-in's bound on retries of one record (the stack's is an age, not a count). */
export const RETRY_ATTEMPTS = 10;
/** The pause doubles from 200 ms up to this: ten retries span about 45 s. */
const MAX_RETRY_PAUSE_MS = 8_000;
const BATCH_SIZE = 100;

export type FilterPattern = { readonly [key: string]: FilterPattern | readonly FilterValue[] };
type FilterValue = string | number | { readonly prefix: string };

/** Lambda event filtering for the subset of the syntax the stack uses: exact values and prefixes. */
export function matchesFilter(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = (value as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(expected)) return typeof actual === 'object' && actual !== null && matchesFilter(expected as FilterPattern, actual);
    return (expected as readonly FilterValue[]).some((candidate) =>
      typeof candidate === 'object' ? typeof actual === 'string' && actual.startsWith(candidate.prefix) : actual === candidate,
    );
  });
}

/** A Streams API record as Lambda delivers it: the stream ARN added, the creation time in epoch seconds. */
export function toLambdaRecord(record: StreamsRecord, streamArn: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(dynamodb as NonNullable<DynamoDBRecord['dynamodb']>),
      ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}),
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StreamReader {
  stop(): Promise<void>;
  /** Sequence numbers of the records given up after every retry: what AWS would send to the DLQ. */
  deadLetters(): string[];
}

/** The pause before retry number `retry` (1, 2, ...). */
export function retryPauseMs(retry: number): number {
  return Math.min(200 * 2 ** (retry - 1), MAX_RETRY_PAUSE_MS);
}

export async function startStreamReader(options: {
  endpoint: string;
  /** The stack's namespace in DynamoDB Local (infra/local/dynamodb-local.ts). */
  credentials: DynamoDbLocalCredentials;
  tableName: string;
  handler: StreamHandler;
  /** The event source's filters (any one matching); the mailer's by default. */
  filters?: readonly FilterPattern[];
  log?: (line: string) => void;
}): Promise<StreamReader> {
  const filters = options.filters ?? [intentStreamFilter];
  const clientOptions = { endpoint: options.endpoint, region: LOCAL_REGION, credentials: options.credentials };
  const tables = new DynamoDBClient(clientOptions);
  const streams = new DynamoDBStreamsClient(clientOptions);
  const { Table } = await tables.send(new DescribeTableCommand({ TableName: options.tableName }));
  tables.destroy();
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);

  const iterators = new Map<string, string>();
  const finished = new Set<string>();
  const deadLetters: string[] = [];
  let stopped = false;
  let lastDiscovery = 0;
  // Pauses end early on stop(), so a reader waiting out a long retry pause does not hold the stack's shutdown.
  let wake: () => void = () => undefined;
  const stopping = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const sleep = (ms: number) => Promise.race([pause(ms), stopping]);

  async function discoverShards(): Promise<void> {
    lastDiscovery = Date.now();
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId!;
      if (iterators.has(shardId) || finished.has(shardId)) continue;
      const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
      if (ShardIterator) iterators.set(shardId, ShardIterator);
    }
  }

  /** Invokes the handler until every record is done or given up, keeping stream order. */
  async function deliver(records: DynamoDBRecord[]): Promise<void> {
    let pending = records;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedSequence: string | undefined;
      try {
        const result = await options.handler({ Records: pending });
        failedSequence = result?.batchItemFailures
          .map((f) => f.itemIdentifier)
          .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
      } catch (error) {
        failedSequence = pending[0]!.dynamodb!.SequenceNumber;
        options.log?.(`mailer threw: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (failedSequence === undefined) return;
      const from = Math.max(0, pending.findIndex((r) => r.dynamodb?.SequenceNumber === failedSequence));
      if (attempt > RETRY_ATTEMPTS) {
        options.log?.(`mailer: giving up on stream record ${failedSequence} after ${attempt} attempts (on AWS it goes to the dead-letter queue)`);
        deadLetters.push(failedSequence);
        pending = pending.slice(from + 1);
        attempt = 0;
        continue;
      }
      pending = pending.slice(from);
      await sleep(retryPauseMs(attempt));
      if (stopped) return;
    }
  }

  async function poll(): Promise<void> {
    while (!stopped) {
      try {
        if (Date.now() - lastDiscovery >= SHARD_DISCOVERY_INTERVAL_MS) await discoverShards();
        let received = 0;
        for (const [shardId, iterator] of iterators) {
          const { Records = [], NextShardIterator } = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: BATCH_SIZE }));
          if (NextShardIterator) iterators.set(shardId, NextShardIterator);
          else {
            iterators.delete(shardId);
            finished.add(shardId);
          }
          received += Records.length;
          const matching = Records.map((r) => toLambdaRecord(r, streamArn!)).filter((r) => filters.some((filter) => matchesFilter(filter, r)));
          if (matching.length > 0) await deliver(matching);
        }
        if (received === 0) await sleep(POLL_INTERVAL_MS);
      } catch (error) {
        if (stopped) return;
        options.log?.(`stream reader: ${error instanceof Error ? error.message : String(error)}; retrying`);
        // Iterators may have expired: start the shards again from what DescribeStream says.
        iterators.clear();
        lastDiscovery = 0;
        await sleep(SHARD_DISCOVERY_INTERVAL_MS);
      }
    }
  }

  await discoverShards();
  const running = poll();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await running;
      streams.destroy();
    },
    deadLetters: () => [...deadLetters],
  };
}
