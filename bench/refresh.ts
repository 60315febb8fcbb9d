import { randomBytes } from 'node:crypto';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LocalStack } from '../infra/local/stack';
import { sessionToItem } from '../shared/aws/dynamodb-sessions';
import { bareDocumentClient, context, cookiePostEvent, loadBundleHandler, type Handler } from './environment';
import { logIn, newVerifiedAccount, refresh } from './local-stack';
import { pairedItem, type BenchItem } from './results';
import { now, quantile, shuffled } from './stats';

/**
 * Refresh against the one DynamoDB round trip it cannot avoid, done with the bare SDK on the same
 * DynamoDB Local: the conditional UpdateItem that advances the generation. The refresh bundle's
 * handler invoked in this process (the budgets in docs/performance.md: at most 1.2 × that round trip), and POST
 * /auth/refresh end to end through the local gateway (HTTP, event building; reported). Then a
 * burst of concurrent refreshes, one per session, against a burst of the bare round trips.
 */
export interface RefreshSetup {
  stack: LocalStack;
  /** The refresh function's bundle and functionEnvironment() pointed at the local stack. */
  bundle: string;
  env: Record<string, string>;
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

  /** What a refresh must do in DynamoDB, and nothing else: the service's own rotation write. */
  async rotate(sessionId: string): Promise<void> {
    const now = Date.now();
    const Key = { pk: `SESSION#${sessionId}`, sk: 'SESSION' };
    const from = this.generations.get(sessionId) ?? 0;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        // The device of the refresh too, as the service records it (the bench events come from 203.0.113.7).
        UpdateExpression: 'SET generation = :next, rotatedAt = :now, lastUsedAt = :now, ipAddress = :ipAddress',
        ConditionExpression: 'generation = :from AND attribute_not_exists(revokedAt) AND absoluteExpiresAt > :now AND lastUsedAt > :idleSince',
        ExpressionAttributeValues: { ':from': from, ':next': from + 1, ':now': now, ':idleSince': now - 1_800_000, ':ipAddress': '203.0.113.7' },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    this.generations.set(sessionId, from + 1);
  }

  private readonly generations = new Map<string, number>();
}

/**
 * The refresh bundle's handler in this process: one refresh with a cookie, the rotated token back,
 * and how long the handler took. The event is built before and the reply read after the clock,
 * so what is timed is the handler alone, as the bare round trip is the SDK call alone.
 */
async function refreshInProcess(handler: Handler, refreshToken: string): Promise<{ rotated: string; ms: number }> {
  const event = cookiePostEvent('/auth/refresh', `refresh_token=${refreshToken}`);
  const lambdaContext = context('refresh');
  const started = now();
  const reply = (await handler(event, lambdaContext)) as APIGatewayProxyResult;
  const ms = now() - started;
  const rotated = /refresh_token=([^;"]+)/.exec(JSON.stringify(reply.multiValueHeaders ?? reply.headers ?? {}))?.[1];
  if (reply.statusCode !== 200 || !rotated) throw new Error(`refresh handler answered ${reply.statusCode}: ${reply.body}`);
  return { rotated, ms };
}

async function latencyMs(action: () => Promise<unknown>): Promise<number> {
  const started = now();
  await action();
  return now() - started;
}

const WARM_UP_REFRESHES = 300;

export async function benchRefresh(setup: RefreshSetup): Promise<BenchItem[]> {
  const { stack } = setup;
  const bare = new BareSessionRoundTrips(
    bareDocumentClient(stack),
    stack.tableName,
  );

  // Sessions with their own refresh cookies: one account's first session plus further logins.
  const account = await newVerifiedAccount(stack, 'refresh');
  const inProcessToken = { value: (await logIn(stack, account.email)).refreshToken };
  const handler = await loadBundleHandler(setup.bundle, setup.env, 'refresh');
  const tokens = [account.session.refreshToken];
  while (tokens.length < setup.burstSize) tokens.push((await logIn(stack, account.email)).refreshToken);
  const bareSessions = await bare.createSessions(setup.burstSize);

  // Warm-up: connections, and enough calls that V8 has optimised the handler's code and the bare
  // client's alike (a warm Lambda serving steady traffic runs optimised code), and DynamoDB Local's own warm-up.
  for (let i = 0; i < WARM_UP_REFRESHES; i++) {
    tokens[0] = await refresh(stack, tokens[0]!);
    inProcessToken.value = (await refreshInProcess(handler, inProcessToken.value)).rotated;
    await bare.rotate(bareSessions[0]!);
  }

  // Each run alternates the three kinds, in random order, so load lands on all of them alike.
  const sequential = { handler: [] as number[], endToEnd: [] as number[], bare: [] as number[] };
  const once = {
    handler: async () => {
      const { rotated, ms } = await refreshInProcess(handler, inProcessToken.value);
      inProcessToken.value = rotated;
      return ms;
    },
    endToEnd: () => latencyMs(async () => (tokens[0] = await refresh(stack, tokens[0]!))),
    bare: () => latencyMs(() => bare.rotate(bareSessions[0]!)),
  };
  for (let run = 0; run < setup.rounds; run++) {
    const latencies = { handler: [] as number[], endToEnd: [] as number[], bare: [] as number[] };
    for (let i = 0; i < setup.perRound; i++) {
      for (const kind of shuffled(Object.keys(once) as Array<keyof typeof once>)) latencies[kind].push(await once[kind]());
    }
    for (const kind of Object.keys(once) as Array<keyof typeof once>) sequential[kind].push(quantile(latencies[kind], 0.5));
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
  const bareBaseline = { name: 'bare conditional UpdateItem (the rotation write)', runs: sequential.bare };
  const sequentialNote = `median of ${setup.perRound} sequential refreshes per run`;
  return [
    pairedItem({
      name: 'refresh handler in process (DynamoDB Local)',
      unit: 'ms',
      runs: sequential.handler,
      baseline: bareBaseline,
      budget: 1.2,
      note: `${sequentialNote}; the bundle, one ES256 signature besides the write`,
    }),
    pairedItem({
      name: 'refresh end to end (local gateway)',
      unit: 'ms',
      runs: sequential.endToEnd,
      baseline: bareBaseline,
      budget: null,
      note: `${sequentialNote}; adds HTTP and the gateway's event building`,
    }),
    ...(['p50', 'p95'] as const).map((quantileName) =>
      pairedItem({
        name: `refresh burst of ${setup.burstSize}, ${quantileName}`,
        unit: 'ms',
        runs: bursts[quantileName],
        baseline: { name: `burst of ${setup.burstSize} bare round trips, ${quantileName}`, runs: quantileName === 'p50' ? bursts.bareP50 : bursts.bareP95 },
        budget: null,
        note: burstNote,
      }),
    ),
  ];
}
