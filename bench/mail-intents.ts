import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LocalStack } from '../infra/local/stack';
import { INTENT_TTL_SECONDS } from '../shared/outbox';
import { routes } from '../shared/routes';
import { repoRoot } from './bundles';
import { bareDocumentClient, context, jsonPostEvent, loadBundleHandler, type Handler } from './environment';
import { storedMails, uniqueEmail } from './local-stack';
import { item, pairedItem, type BenchItem } from './results';
import { interleavedMedians, now, summarize, timed } from './stats';

/**
 * The routes that answer an address with "check your mail" (register, forgot-password): the budgets in docs/performance.md
 * holds each to at most 1.2 × one bare PutItem, the intent write, and the same for an address
 * with an account and one without (their ratio 0.9–1.1), so neither the reply nor its timing
 * tells whether an address is known. The handler runs from its bundle in this process against
 * the local stack's DynamoDB Local; the bare PutItem goes to the same table through the bare SDK.
 */
export interface MailIntentRoute {
  functionName: string;
  /** The function's bundle, when the function exists. */
  bundle: string | undefined;
}

export interface MailIntentSetup {
  stack: LocalStack;
  /** functionEnvironment() pointed at the local stack. */
  env: Record<string, string>;
  /** An address with an account. */
  knownEmail: string;
  rounds: number;
  perRound: number;
}

const INTENT_BUDGET = 1.2;
const WARM_UP_CALLS = 150;
const KNOWN_UNKNOWN_BAND = { low: 0.9, high: 1.1 };

/** Whether the route's function is there yet (forgot-password is being built in parallel). */
export function mailIntentRouteExists(functionName: string): boolean {
  return existsSync(join(repoRoot, 'functions', functionName, 'handler.ts')) && routes.some((r) => r.functionName === functionName);
}

/** One item as an intent, under a key the outbox stream filter ignores, so no mail goes out for it. */
function bareIntentWriter(stack: LocalStack) {
  const client = bareDocumentClient(stack);
  return async (email: string) => {
    const createdAt = Date.now();
    await client.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { pk: `BENCH#${randomUUID()}`, sk: 'MAIL', kind: 'signup', email, createdAt, expiresAt: Math.ceil(createdAt / 1000) + INTENT_TTL_SECONDS },
      }),
    );
  };
}

export async function benchMailIntentRoute(route: MailIntentRoute, setup: MailIntentSetup): Promise<BenchItem[]> {
  const path = routes.find((r) => r.functionName === route.functionName)?.path;
  if (!route.bundle || !path) throw new Error(`${route.functionName} has no bundle or route`);
  const handler: Handler = await loadBundleHandler(route.bundle, setup.env, route.functionName);
  const bare = bareIntentWriter(setup.stack);
  // The event is built before the clock starts: what is timed is the handler alone.
  const invoke = async (event: unknown) => {
    const reply = (await handler(event, context(route.functionName))) as APIGatewayProxyResult;
    if (reply.statusCode !== 202) throw new Error(`${route.functionName} answered ${reply.statusCode}: ${reply.body}`);
  };
  const steps = {
    unknown: () => {
      const event = jsonPostEvent(path, { email: uniqueEmail(route.functionName) });
      return timed(() => invoke(event));
    },
    known: () => {
      const event = jsonPostEvent(path, { email: setup.knownEmail });
      return timed(() => invoke(event));
    },
    bare: () => {
      const email = uniqueEmail('bare');
      return timed(() => bare(email));
    },
  };
  // Warm-up, as for refresh: V8 optimises the handler's code and the bare client's alike before the clock runs.
  const perRun = await interleavedMedians(steps, { rounds: setup.rounds, perRound: setup.perRound, warmUp: WARM_UP_CALLS });

  const baseline = { name: 'bare PutItem of one intent', runs: perRun.bare };
  const note = `median of ${setup.perRound} calls per run, ${setup.perRound * setup.rounds} in all, interleaved with the other two kinds; the bundle in this process, DynamoDB Local`;
  const bandItem = pairedItem({
    name: `${route.functionName}: known ÷ unknown address`,
    unit: 'ms',
    runs: perRun.known,
    baseline: { name: `${route.functionName} handler, unknown address`, runs: perRun.unknown },
    budget: KNOWN_UNKNOWN_BAND.high,
    note: `budget ${KNOWN_UNKNOWN_BAND.low}–${KNOWN_UNKNOWN_BAND.high}×: the timing must not tell whether an address has an account; the same DynamoDB calls for both (test/integration/round-trips.test.ts)`,
  });
  const band = bandItem.ratio!.median;
  const againstBare = (address: 'unknown' | 'known') =>
    pairedItem({ name: `${route.functionName} handler, ${address} address`, unit: 'ms', runs: perRun[address], baseline, budget: INTENT_BUDGET, note });
  return [
    againstBare('unknown'),
    againstBare('known'),
    // A band, not a ceiling: too fast is as telling as too slow.
    { ...bandItem, pass: band >= KNOWN_UNKNOWN_BAND.low && band <= KNOWN_UNKNOWN_BAND.high },
  ];
}

async function mailCount(mailUrl: string, email: string): Promise<number> {
  return (await storedMails(mailUrl)).filter((m) => m.destination.to.includes(email)).length;
}

/**
 * From the moment the intent is written (register has answered 202) to the mail in
 * aws-ses-v2-local's store: the local stream reader, the mailer and one SES send. Polled every
 * 10 ms with a deadline. Reported, not judged: on AWS the stream's own delivery dominates.
 */
export async function benchMailLatency(stack: LocalStack, mails: number): Promise<BenchItem[]> {
  const POLL_MS = 10;
  const DEADLINE_MS = 30_000;
  const latencies: number[] = [];
  for (let i = 0; i < mails; i++) {
    const email = uniqueEmail('latency');
    const response = await fetch(`${stack.apiUrl}/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
    const written = now();
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`POST /auth/register: ${response.status}`);
    while ((await mailCount(stack.mailUrl, email)) === 0) {
      if (now() - written > DEADLINE_MS) throw new Error(`no mail for ${email} within ${DEADLINE_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    latencies.push(now() - written);
  }
  return [
    item({
      name: 'mail latency through the outbox (local stack)',
      unit: 'ms',
      value: summarize(latencies),
      baseline: null,
      ratio: null,
      budget: null,
      note: `${mails} sign-up mails, one after another: intent written (202) → mail in the store; polled every ${POLL_MS} ms`,
    }),
  ];
}
