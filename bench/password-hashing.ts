import { argon2, randomBytes, randomUUID, scrypt, type ScryptOptions } from 'node:crypto';
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { eventPut } from '../shared/aws/dynamodb-events';
import { sessionToItem } from '../shared/aws/dynamodb-sessions';
import { securityEvent } from '../shared/security-events';
import { DEPLOYED_NODE_FLAGS } from './cold-start';
import type { DynamoDbLocalCredentials } from '../infra/local/dynamodb-local';
import { bareDocumentClient, childEnvironment, context, jsonPostEvent, loadBundleHandler, type Handler } from './environment';
import { PASSWORD, signupToken, uniqueEmail } from './local-stack';
import { item, pairedItem, type BenchItem } from './results';
import { pairedRatios, quantile, shuffled, summarize, timed } from './stats';

/**
 * Login and verify (which creates the account with the chosen password) through their bundles
 * with the production hash (argon2id at its default cost), each against one bare argon2id hash
 * with the same parameters measured in the same rounds (reported: on DynamoDB Local two round
 * trips cost about as much as the hash itself). The login is judged against its floor (below):
 * at most 1.25 × it.
 * The production hash itself against the first version's scrypt N=2^17, r=8, p=1 (expected
 * ≤ 0.3 ×). And the memory a hashing function reaches, in a fresh process, against a fresh
 * process doing only the hash.
 *
 * Next to them, the floor of any login that counts the attempt before hashing and stores the
 * session before answering: one conditional write, the hash, one session write, with the bare SDK
 * on the same DynamoDB Local: what the login is held to, so the budget measures the design's own
 * additions and not what two dependent round trips cost on this machine.
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

export interface PasswordHashingSetup {
  loginBundle: string;
  verifyBundle: string;
  /** functionEnvironment() pointed at the local stack's emulators. */
  env: Record<string, string>;
  apiUrl: string;
  mailUrl: string;
  ddbEndpoint: string;
  ddbCredentials: DynamoDbLocalCredentials;
  tableName: string;
  rounds: number;
  /** Logins of each kind, and floors, per round, interleaved: a round's figure is their median. */
  loginsPerRound: number;
}

/** The login may cost at most this many times its floor (below), measured beside it. */
const LOGIN_FLOOR_BUDGET = 1.25;

/**
 * Logins before the clock runs: DynamoDB Local compiles its request paths during the first few
 * hundred requests, and DynamoDB itself has no such warm-up to measure.
 */
const WARM_UP_LOGINS = 20;

/** The least a login can do in DynamoDB around its hash: count the attempt before, store the session after. */
function bareLoginFloor(setup: PasswordHashingSetup): () => Promise<void> {
  const client = bareDocumentClient(setup);
  return async () => {
    const id = randomUUID();
    const started = Date.now();
    await client.send(
      new PutCommand({
        TableName: setup.tableName,
        Item: { pk: `ATTEMPTS#bench-floor#${id}`, sk: 'ATTEMPTS', failures: 1, version: 1, expiresAt: Math.ceil(started / 1000) + 3600 },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await bareHash();
    const session = { id, userId: `bench-floor-${id}`, generation: 0, createdAt: started, lastUsedAt: started, absoluteExpiresAt: started + 86_400_000 };
    await client.send(new PutCommand({ TableName: setup.tableName, Item: sessionToItem(session), ConditionExpression: 'attribute_not_exists(pk)' }));
  };
}

/**
 * Reported beside the floor: the least a login can do under the rules it keeps, with the bare
 * SDK. The attempt is counted (one UpdateItem) while the account is found (the address item, then
 * the user item: the hash to check is on the account); after the hash one transaction writes what
 * a success must commit together: the session; its entry on the user item, conditional on the
 * hash just checked (without it, a password reset racing the login could miss the new session);
 * the counter's reset (a success resets the count, DESIGN §4.4); the `signed_in` event (written
 * in the same transaction, §3.10). No device, no token, no handler. What the login adds beyond
 * this is the design's own; what this adds to the floor is what the rules cost on DynamoDB Local.
 */
function bareRulesMinimum(setup: PasswordHashingSetup): () => Promise<void> {
  const client = bareDocumentClient(setup);
  const userId = `bench-minimum-${randomUUID()}`;
  const address = { pk: `EMAIL#${userId}@example.com`, sk: 'EMAIL' };
  const user = { pk: `USER#${userId}`, sk: 'USER' };
  const passwordHash = `$argon2id$bench$${randomUUID()}`;
  let created: Promise<unknown> | undefined;
  return async () => {
    created ??= Promise.all([
      client.send(new PutCommand({ TableName: setup.tableName, Item: { ...address, userId } })),
      client.send(new PutCommand({ TableName: setup.tableName, Item: { ...user, id: userId, passwordHash } })),
    ]);
    await created;
    const id = randomUUID();
    const started = Date.now();
    const counter = { pk: `ATTEMPTS#bench-minimum#${id}`, sk: 'ATTEMPTS' };
    await Promise.all([
      client.send(
        new UpdateCommand({
          TableName: setup.tableName,
          Key: counter,
          UpdateExpression: 'ADD failures :one, version :one SET expiresAt = :expires',
          ExpressionAttributeValues: { ':one': 1, ':expires': Math.ceil(started / 1000) + 3600 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
      (async () => {
        await client.send(new GetCommand({ TableName: setup.tableName, Key: address, ConsistentRead: true }));
        await client.send(new GetCommand({ TableName: setup.tableName, Key: user, ConsistentRead: true }));
      })(),
    ]);
    await bareHash();
    const session = { id, userId, generation: 0, createdAt: started, lastUsedAt: started, absoluteExpiresAt: started + 86_400_000 };
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: setup.tableName, Item: sessionToItem(session), ConditionExpression: 'attribute_not_exists(pk)' } },
          { Delete: { TableName: setup.tableName, Key: counter } },
          ...eventPut(setup.tableName, securityEvent(userId, 'signed_in', started, 90, { method: 'password', ipAddress: '203.0.113.7' })),
          {
            Update: {
              TableName: setup.tableName,
              Key: user,
              // One entry, replaced: the login's set of recent entries is pruned, and this one must not grow.
              UpdateExpression: 'SET latestSession = :entry',
              ConditionExpression: 'passwordHash = :verified',
              ExpressionAttributeValues: { ':entry': `${id} ${started}`, ':verified': passwordHash },
            },
          },
        ],
      }),
    );
  };
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
  // A returning browser sends the device cookie its first login set: the account is read with the
  // identifier's item, no new device. An account of its own, so the new browsers logging in to the
  // first one never evict this device.
  const returning = uniqueEmail('login-returning');
  await invoke(verify, 'verify', jsonPostEvent('/auth/verify', { token: await signupToken(setup, returning), password: PASSWORD }), 200);
  const firstLogin = (await login(jsonPostEvent('/auth/login', { email: returning, password: PASSWORD }), context('login'))) as APIGatewayProxyResult;
  const deviceCookie = ((firstLogin.multiValueHeaders?.['Set-Cookie'] ?? []) as string[]).find((cookie) => cookie.startsWith('device='))?.split(';')[0];
  if (!deviceCookie) throw new Error('the first login set no device cookie');
  const trustedLoginEvent = () => jsonPostEvent('/auth/login', { email: returning, password: PASSWORD }, deviceCookie);

  // Warm-up: the first call of each pays for connections and lazy loading, as a cold start would.
  const floor = bareLoginFloor(setup);
  const rulesMinimum = bareRulesMinimum(setup);
  await bareHash();
  for (let i = 0; i < WARM_UP_LOGINS; i++) {
    await invoke(login, 'login', loginEvent(), 200);
    await invoke(login, 'login', trustedLoginEvent(), 200);
    await floor();
    await rulesMinimum();
  }
  await invoke(verify, 'verify', verifyEvent(), 200);

  const samples = { hash: [] as number[], scrypt: [] as number[], login: [] as number[], trustedLogin: [] as number[], verify: [] as number[], floor: [] as number[], rulesMinimum: [] as number[] };
  // Once a round: the hashes (a scrypt hash takes about 0.4 s) and verify (each spends a mailed token).
  const onceARound = {
    hash: () => timed(bareHash),
    scrypt: () => timed(bareScrypt),
    verify: () => {
      const event = verifyEvent();
      return timed(() => invoke(verify, 'verify', event, 200));
    },
  };
  // The budgeted lines: several of each a round, interleaved in random order, so a round's
  // median is not one call's luck and each login is timed beside floors of the same moment.
  const manyARound = {
    floor: () => timed(floor),
    rulesMinimum: () => timed(rulesMinimum),
    login: () => {
      const event = loginEvent();
      return timed(() => invoke(login, 'login', event, 200));
    },
    trustedLogin: () => {
      const event = trustedLoginEvent();
      return timed(() => invoke(login, 'login', event, 200));
    },
  };
  type Many = keyof typeof manyARound;
  for (let round = 0; round < setup.rounds; round++) {
    for (const step of shuffled(Object.keys(onceARound) as Array<keyof typeof onceARound>)) samples[step].push(await onceARound[step]());
    const latencies: Record<Many, number[]> = { floor: [], rulesMinimum: [], login: [], trustedLogin: [] };
    for (let i = 0; i < setup.loginsPerRound; i++) for (const step of shuffled(Object.keys(manyARound) as Many[])) latencies[step].push(await manyARound[step]());
    for (const step of Object.keys(latencies) as Many[]) samples[step].push(quantile(latencies[step], 0.5));
  }

  type Step = keyof typeof samples;
  const names: Record<Step, string> = {
    hash: 'one argon2id hash (m=19456 KiB, t=2, p=1)',
    scrypt: 'one scrypt hash (N=2^17, r=8, p=1), the first version',
    floor: 'login floor: attempt write, hash, session write',
    rulesMinimum: 'login minimum under the rules (bare SDK)',
    login: 'login handler (production argon2id)',
    trustedLogin: 'login handler, returning browser (device cookie)',
    verify: 'verify handler (production argon2id)',
  };
  const against = (step: Step, baseline: Step, budget: number | null, note: string, name = names[step]) =>
    pairedItem({ name, unit: 'ms', runs: samples[step], baseline: { name: names[baseline], runs: samples[baseline] }, budget, note });
  return {
    account: email,
    items: [
      against('hash', 'scrypt', 0.3, 'node:crypto, in this process', 'production password hash (argon2id)'),
      against(
        'login',
        'hash',
        null,
        'a new browser (no device cookie), DynamoDB Local: 4 calls, 3 in sequence (the address item while the attempt is counted; the account, its devices on it; one transaction), 1 ES256 signature',
      ),
      against('floor', 'hash', null, 'bare SDK on DynamoDB Local: a conditional PutItem, the hash, a PutItem of a session (with its index entry), in sequence'),
      against(
        'rulesMinimum',
        'floor',
        null,
        'bare SDK: the attempt counted (UpdateItem) while the address item and then the account are read, the hash, one transaction of the session, its entry on the account (conditional on the hash checked), the counter reset and the signed_in event; what the rules alone add to the floor, before any device, token or handler',
        'login minimum under the rules against the floor',
      ),
      against('login', 'floor', LOGIN_FLOOR_BUDGET, `a new browser: what the design adds to the least any login can do (4 DynamoDB calls, 3 in sequence, counted by test/integration/round-trips.test.ts; the bench's account is past 20 devices, so every timed login also evicts one); each run the median of ${setup.loginsPerRound} logins interleaved with as many floors`, 'login handler against its floor'),
      against(
        'trustedLogin',
        'floor',
        LOGIN_FLOOR_BUDGET,
        `a returning browser: 3 DynamoDB calls, 2 in sequence (the address and account items, its device on it, in one BatchGetItem while the device's attempt is counted; one transaction); each run the median of ${setup.loginsPerRound} logins interleaved with as many floors`,
        'login handler, returning browser, against its floor',
      ),
      against('verify', 'hash', null, 'DynamoDB Local; the token read, one transaction creating the account and the session, 1 ES256 signature besides the hash'),
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
