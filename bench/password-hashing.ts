import { argon2, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { DEPLOYED_NODE_FLAGS } from './cold-start';
import { childEnvironment, context, jsonPostEvent, loadBundleHandler, type Handler } from './environment';
import { PASSWORD, signupToken, uniqueEmail } from './local-stack';
import { item, type BenchItem } from './results';
import { now, pairedRatios, shuffled, summarize } from './stats';

/**
 * Login and verify (which creates the account with the chosen password) through their bundles
 * with the production hash (argon2id at its default cost), each against one bare argon2id hash
 * with the same parameters measured in the same rounds (the budgets in docs/performance.md: login may cost at most 1.15 ×
 * that hash: everything besides the hash is overhead; verify is reported against the same hash).
 * The production hash itself against the first version's scrypt N=2^17, r=8, p=1 (expected
 * ≤ 0.3 ×). And the memory a hashing function reaches, in a fresh process, against a fresh
 * process doing only the hash.
 */
export const PRODUCTION_ARGON2 = { memory: 19_456, passes: 2, parallelism: 1, tagLength: 32 };
export const FIRST_VERSION_SCRYPT = { N: 131_072, r: 8, p: 1, keyBytes: 32, maxmem: 256 * 1024 * 1024 };

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keyBytes: number, options: ScryptOptions) => Promise<Buffer>;

export function bareHash(): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    argon2('argon2id', { message: PASSWORD, nonce: randomBytes(16), ...PRODUCTION_ARGON2 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function bareScrypt(): Promise<Buffer> {
  const { keyBytes, ...options } = FIRST_VERSION_SCRYPT;
  return scryptAsync(PASSWORD, randomBytes(16), keyBytes, options);
}

/** The functions' environment with the production hashing cost: the configuration's defaults. */
function productionCost(env: Record<string, string>): Record<string, string> {
  const { ARGON2_MEMORY_KIB: _memory, ARGON2_PASSES: _passes, ...rest } = env;
  return rest;
}

async function invoke(handler: Handler, name: string, event: unknown, expectedStatus: number): Promise<void> {
  const reply = (await handler(event, context(name))) as APIGatewayProxyResult;
  if (reply.statusCode !== expectedStatus) throw new Error(`${name} answered ${reply.statusCode}: ${reply.body}`);
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = now();
  await action();
  return now() - started;
}

export interface PasswordHashingSetup {
  loginBundle: string;
  verifyBundle: string;
  /** functionEnvironment() pointed at the local stack's emulators. */
  env: Record<string, string>;
  apiUrl: string;
  mailUrl: string;
  rounds: number;
}

export async function benchPasswordHashing(setup: PasswordHashingSetup): Promise<{ items: BenchItem[]; account: string }> {
  const env = productionCost(setup.env);
  delete process.env.ARGON2_MEMORY_KIB;
  delete process.env.ARGON2_PASSES;
  const login = await loadBundleHandler(setup.loginBundle, env, 'login');
  const verify = await loadBundleHandler(setup.verifyBundle, env, 'verify');
  // Each verify spends one mailed token: all of them fetched before the clock runs.
  const tokens = await Promise.all(Array.from({ length: setup.rounds + 1 }, () => signupToken(setup, uniqueEmail('verify'))));
  const verifyEvent = () => jsonPostEvent('/auth/verify', { token: tokens.pop(), password: PASSWORD });

  // The account that logs in: signed up through the stack, its password hashed at the production cost by the verify bundle.
  const email = uniqueEmail('login');
  await invoke(verify, 'verify', jsonPostEvent('/auth/verify', { token: await signupToken(setup, email), password: PASSWORD }), 200);
  // A fresh event per call: the middy pipeline parses the body in place.
  const loginEvent = () => jsonPostEvent('/auth/login', { email, password: PASSWORD });

  // Warm-up: the first call of each pays for connections and lazy loading, as a cold start would.
  await bareHash();
  await invoke(login, 'login', loginEvent(), 200);
  await invoke(verify, 'verify', verifyEvent(), 200);

  const samples = { hash: [] as number[], scrypt: [] as number[], login: [] as number[], verify: [] as number[] };
  const steps = {
    hash: () => timed(bareHash),
    scrypt: () => timed(bareScrypt),
    login: () => {
      const event = loginEvent();
      return timed(() => invoke(login, 'login', event, 200));
    },
    verify: () => {
      const event = verifyEvent();
      return timed(() => invoke(verify, 'verify', event, 200));
    },
  };
  for (let round = 0; round < setup.rounds; round++) {
    for (const step of shuffled(Object.keys(steps) as Array<keyof typeof steps>)) samples[step].push(await steps[step]());
  }

  const baseline = { name: 'one argon2id hash (m=19456 KiB, t=2, p=1)', value: summarize(samples.hash) };
  return {
    account: email,
    items: [
      item({
        name: 'production password hash (argon2id)',
        unit: 'ms',
        value: summarize(samples.hash),
        baseline: { name: 'one scrypt hash (N=2^17, r=8, p=1), the first version', value: summarize(samples.scrypt) },
        ratio: summarize(pairedRatios(samples.hash, samples.scrypt)),
        budget: 0.3,
        note: 'node:crypto, in this process',
      }),
      item({
        name: 'login handler (production argon2id)',
        unit: 'ms',
        value: summarize(samples.login),
        baseline,
        ratio: summarize(pairedRatios(samples.login, samples.hash)),
        budget: 1.15,
        note: 'DynamoDB Local: the user lookup, the throttle claim and settle and the session write, and 1 ES256 signature besides the hash',
      }),
      item({
        name: 'verify handler (production argon2id)',
        unit: 'ms',
        value: summarize(samples.verify),
        baseline,
        ratio: summarize(pairedRatios(samples.verify, samples.hash)),
        budget: null,
        note: 'DynamoDB Local; the token read, one transaction creating the account and the session, 1 ES256 signature besides the hash',
      }),
    ],
  };
}

const MEMORY_SCRIPT = `
const { handler } = await import(process.env.BENCH_MODULE_URL);
const reply = await handler(JSON.parse(process.env.BENCH_EVENT), {
  functionName: 'bench', awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => 10000,
});
process.stdout.write(JSON.stringify({ status: reply.statusCode, maxRssKiB: process.resourceUsage().maxRSS }));
process.exit(0);
`;

const BARE_HASH_SCRIPT = `
const { argon2Sync, randomBytes } = await import('node:crypto');
argon2Sync('argon2id', { message: '${PASSWORD}', nonce: randomBytes(16), ...JSON.parse(process.env.BENCH_ARGON2) });
process.stdout.write(JSON.stringify({ status: 0, maxRssKiB: process.resourceUsage().maxRSS }));
process.exit(0);
`;

async function peakRssMiB(script: string, env: NodeJS.ProcessEnv): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [...DEPLOYED_NODE_FLAGS, '--input-type=module', '-e', script], { env, timeout: 60_000 });
  const { status, maxRssKiB } = JSON.parse(stdout) as { status: number; maxRssKiB: number };
  if (status !== 0 && status !== 200 && status !== 202) throw new Error(`the invocation answered ${status}`);
  return maxRssKiB / 1024;
}

/** RSS high-water mark of one cold invocation (import + handler) in a fresh process, per run. */
export async function benchPeakMemory(setup: PasswordHashingSetup & { account: string; lambdaMemoryMb: number }): Promise<BenchItem[]> {
  const env = childEnvironment(productionCost(setup.env));
  const cases = [
    { name: 'login', file: setup.loginBundle, event: async () => jsonPostEvent('/auth/login', { email: setup.account, password: PASSWORD }) },
    {
      name: 'verify',
      file: setup.verifyBundle,
      event: async () => jsonPostEvent('/auth/verify', { token: await signupToken(setup, uniqueEmail('memory')), password: PASSWORD }),
    },
  ];
  const bare: number[] = [];
  const peaks = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < setup.rounds; round++) {
    bare.push(await peakRssMiB(BARE_HASH_SCRIPT, { ...env, BENCH_ARGON2: JSON.stringify(PRODUCTION_ARGON2) }));
    for (const c of cases) {
      const runEnv = { ...env, BENCH_MODULE_URL: pathToFileURL(c.file).href, BENCH_EVENT: JSON.stringify(await c.event()) };
      peaks.get(c.name)!.push(await peakRssMiB(MEMORY_SCRIPT, runEnv));
    }
  }
  return cases.map((c) =>
    item({
      name: `${c.name} peak memory (RSS, cold invocation)`,
      unit: 'MiB',
      value: summarize(peaks.get(c.name)!),
      baseline: { name: 'fresh process: one argon2id hash', value: summarize(bare) },
      ratio: summarize(pairedRatios(peaks.get(c.name)!, bare)),
      budget: null,
      note: `Lambda memory ${setup.lambdaMemoryMb} MB`,
    }),
  );
}
