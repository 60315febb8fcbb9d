import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../infra/local/stack';
import { awsClientOptions } from '../shared/aws/client-options';
import { sessionToItem } from '../shared/aws/dynamodb-sessions';
import { logIn, newVerifiedAccount, refresh } from './local-stack';
import { item, type BenchItem } from './results';
import { now, pairedRatios, quantile, shuffled, summarize } from './stats';

/**
 * Refresh end to end: POST /auth/refresh through the local gateway (HTTP, event building, the
 * real handler, DynamoDB Local) against the DynamoDB round trips a refresh cannot avoid, done
 * with the bare SDK on the same DynamoDB Local: a consistent GetItem of the session and the
 * conditional UpdateItem that advances its generation (DESIGN §9: at most 1.5 × those).
 * Then a burst of concurrent refreshes, one per session, against a burst of the bare round trips.
 */
export interface RefreshSetup {
  stack: LocalStack;
  rounds: number;
  /** Sequential refreshes per round. */
  perRound: number;
  burstSize: number;
  bursts: number;
}

/** Session items owned by the benchmark, shaped exactly like the service's, for the bare round trips. */
class BareSessionRoundTrips {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createSessions(count: number): Promise<string[]> {
    const createdAt = Date.now();
    const ids = Array.from({ length: count }, () => randomBytes(16).toString('base64url'));
    for (const id of ids) {
      const session = { id, userId: 'bench-user', generation: 0, createdAt, lastUsedAt: createdAt, absoluteExpiresAt: createdAt + 86_400_000 };
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: sessionToItem(session) }));
    }
    return ids;
  }

  /** What a refresh must do in DynamoDB, and nothing else. */
  async rotate(sessionId: string): Promise<void> {
    const Key = { pk: `SESSION#${sessionId}`, sk: 'SESSION' };
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
    const from = Item?.generation as number;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET generation = :next, rotatedAt = :now, lastUsedAt = :now',
        ConditionExpression: 'generation = :from AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':from': from, ':next': from + 1, ':now': Date.now() },
      }),
    );
  }
}

async function latencyMs(action: () => Promise<unknown>): Promise<number> {
  const started = now();
  await action();
  return now() - started;
}

export async function benchRefresh(setup: RefreshSetup): Promise<BenchItem[]> {
  const { stack } = setup;
  const bare = new BareSessionRoundTrips(
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...awsClientOptions, endpoint: stack.ddbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    ),
    stack.tableName,
  );

  // Sessions with their own refresh cookies: one account's first session plus further logins.
  const account = await newVerifiedAccount(stack, 'refresh');
  const tokens = [account.session.refreshToken];
  while (tokens.length < setup.burstSize) tokens.push((await logIn(stack, account.email)).refreshToken);
  const bareSessions = await bare.createSessions(setup.burstSize);

  // Warm-up: connections, JIT, DynamoDB Local's own warm-up.
  for (let i = 0; i < 20; i++) {
    tokens[0] = await refresh(stack, tokens[0]!);
    await bare.rotate(bareSessions[0]!);
  }

  // Each run alternates one refresh and one bare rotation, in random order, so load lands on both alike.
  const sequential = { endToEnd: [] as number[], bare: [] as number[] };
  const once = {
    endToEnd: () => latencyMs(async () => (tokens[0] = await refresh(stack, tokens[0]!))),
    bare: () => latencyMs(() => bare.rotate(bareSessions[0]!)),
  };
  for (let run = 0; run < setup.rounds; run++) {
    const latencies = { endToEnd: [] as number[], bare: [] as number[] };
    for (let i = 0; i < setup.perRound; i++) {
      for (const kind of shuffled(Object.keys(once) as Array<keyof typeof once>)) latencies[kind].push(await once[kind]());
    }
    sequential.endToEnd.push(quantile(latencies.endToEnd, 0.5));
    sequential.bare.push(quantile(latencies.bare, 0.5));
  }

  const bursts = { p50: [] as number[], p95: [] as number[], bareP50: [] as number[], bareP95: [] as number[] };
  for (let burst = 0; burst < setup.bursts; burst++) {
    const endToEnd = await Promise.all(tokens.map((token, i) => latencyMs(async () => (tokens[i] = await refresh(stack, token)))));
    const bareBurst = await Promise.all(bareSessions.map((id) => latencyMs(() => bare.rotate(id))));
    bursts.p50.push(quantile(endToEnd, 0.5));
    bursts.p95.push(quantile(endToEnd, 0.95));
    bursts.bareP50.push(quantile(bareBurst, 0.5));
    bursts.bareP95.push(quantile(bareBurst, 0.95));
  }

  const burstNote = `${setup.burstSize} sessions at once; the local gateway runs every handler in one Node process`;
  return [
    item({
      name: 'refresh end to end (local gateway)',
      unit: 'ms',
      value: summarize(sequential.endToEnd),
      baseline: { name: 'bare GetItem + conditional UpdateItem', value: summarize(sequential.bare) },
      ratio: summarize(pairedRatios(sequential.endToEnd, sequential.bare)),
      budget: 1.5,
      note: `median of ${setup.perRound} sequential refreshes per run`,
    }),
    item({
      name: `refresh burst of ${setup.burstSize}, p50`,
      unit: 'ms',
      value: summarize(bursts.p50),
      baseline: { name: `burst of ${setup.burstSize} bare round trips, p50`, value: summarize(bursts.bareP50) },
      ratio: summarize(pairedRatios(bursts.p50, bursts.bareP50)),
      budget: null,
      note: burstNote,
    }),
    item({
      name: `refresh burst of ${setup.burstSize}, p95`,
      unit: 'ms',
      value: summarize(bursts.p95),
      baseline: { name: `burst of ${setup.burstSize} bare round trips, p95`, value: summarize(bursts.bareP95) },
      ratio: summarize(pairedRatios(bursts.p95, bursts.bareP95)),
      budget: null,
      note: burstNote,
    }),
  ];
}
