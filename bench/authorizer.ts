import { createPublicKey, verify } from 'node:crypto';
import { authorizerEvent, context, loadBundleHandler, type Handler } from './environment';
import { item, type BenchItem } from './results';
import { now, pairedRatios, shuffled, summarize, type Summary } from './stats';

/**
 * The authorizer's warm path through its bundle: a valid token of a live session, with the
 * session's liveness remembered in-process (cache hit, the default SESSION_CHECK_CACHE_SECONDS)
 * and read from DynamoDB Local on every call (cache miss, SESSION_CHECK_CACHE_SECONDS=0), each
 * against the floor of any ES256 authorizer: one crypto.verify of the same token's signature with
 * the same key plus one JSON.parse of its payload (the budgets in docs/performance.md: the cache-hit path may cost at most
 * 1.2 × that floor).
 *
 * Each run alternates short blocks of the three kinds many times, in a new random order each
 * time, so that a busy moment of the machine lands on all of them alike; a run's figure is its
 * total time over its total calls.
 */
const BLOCKS_PER_RUN = 10;
const BLOCK_MS = 30;
const WARM_UP_CALLS = 200;

interface Tally {
  ms: number;
  calls: number;
}

/** Calls `op` back to back for about `durationMs`; adds the time and calls to `tally`. */
async function block(op: () => unknown, durationMs: number, tally: Tally): Promise<void> {
  const started = now();
  let calls = 0;
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 10; i++) await op();
    calls += 10;
    elapsed = now() - started;
  }
  tally.ms += elapsed;
  tally.calls += calls;
}

const microsecondsPerCall = (tally: Tally) => (tally.ms * 1000) / tally.calls;

function perSecond(microseconds: Summary): string {
  return `≈ ${Math.round(1e6 / microseconds.median).toLocaleString('en-US')} invocations/s`;
}

export interface AuthorizerSetup {
  bundle: string;
  /** functionEnvironment() pointed at the local stack's DynamoDB Local. */
  env: Record<string, string>;
  /** An access token of a live session in that table. */
  accessToken: string;
  rounds: number;
}

export async function benchAuthorizer(setup: AuthorizerSetup): Promise<BenchItem[]> {
  // The cache-hit copy takes the configured default; the other checks DynamoDB on every call.
  delete process.env.SESSION_CHECK_CACHE_SECONDS;
  const cached = await loadBundleHandler(setup.bundle, setup.env, 'authorizer-cache-hit');
  const uncached = await loadBundleHandler(setup.bundle, { ...setup.env, SESSION_CHECK_CACHE_SECONDS: '0' }, 'authorizer-cache-miss');
  delete process.env.SESSION_CHECK_CACHE_SECONDS;

  const { keys } = JSON.parse(setup.env.JWT_PUBLIC_KEYS!) as { keys: Array<{ publicKey: string }> };
  const key = { key: createPublicKey(keys[0]!.publicKey), dsaEncoding: 'ieee-p1363' as const };
  const [header, payload, signature] = setup.accessToken.split('.') as [string, string, string];
  const signed = Buffer.from(`${header}.${payload}`);

  const event = authorizerEvent('/me', setup.accessToken);
  const lambdaContext = context('authorizer');
  const allowed = async (handler: Handler) => {
    const result = (await handler(event, lambdaContext)) as { policyDocument?: { Statement: Array<{ Effect: string }> } };
    if (result.policyDocument?.Statement[0]?.Effect !== 'Allow') throw new Error('the authorizer did not allow a valid token');
  };
  // Decoding the token's parts is part of the floor: the authorizer gets the token as a string.
  const bareVerify = () => {
    if (!verify('sha256', signed, key, Buffer.from(signature, 'base64url'))) throw new Error('the floor did not verify the token');
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
  };

  for (let i = 0; i < WARM_UP_CALLS; i++) {
    bareVerify();
    await allowed(cached);
  }
  for (let i = 0; i < 20; i++) await allowed(uncached);

  const ops = {
    bare: bareVerify,
    hit: () => allowed(cached),
    miss: () => allowed(uncached),
  };
  const samples = { bare: [] as number[], hit: [] as number[], miss: [] as number[] };
  for (let run = 0; run < setup.rounds; run++) {
    const tallies = { bare: { ms: 0, calls: 0 }, hit: { ms: 0, calls: 0 }, miss: { ms: 0, calls: 0 } };
    for (let i = 0; i < BLOCKS_PER_RUN; i++) {
      for (const kind of shuffled(Object.keys(ops) as Array<keyof typeof ops>)) {
        // An untimed call first, so a liveness entry that expired since the last block (5 s) is not timed.
        if (kind === 'hit') await allowed(cached);
        await block(ops[kind], BLOCK_MS, tallies[kind]);
      }
    }
    for (const kind of Object.keys(ops) as Array<keyof typeof ops>) samples[kind].push(microsecondsPerCall(tallies[kind]));
  }

  const baseline = { name: 'crypto.verify (ES256, same token and key) + JSON.parse of its payload', value: summarize(samples.bare) };
  const hit = summarize(samples.hit);
  const miss = summarize(samples.miss);
  return [
    item({
      name: 'authorizer warm, session cache hit',
      unit: 'µs/call',
      value: hit,
      baseline,
      ratio: summarize(pairedRatios(samples.hit, samples.bare)),
      budget: 1.2,
      note: perSecond(hit),
    }),
    item({
      name: 'authorizer warm, session cache miss',
      unit: 'µs/call',
      value: miss,
      baseline,
      ratio: summarize(pairedRatios(samples.miss, samples.bare)),
      budget: null,
      note: `${perSecond(miss)}; one eventually consistent GetItem on DynamoDB Local per call`,
    }),
  ];
}
