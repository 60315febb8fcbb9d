import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '../infra/local/stack';
import { generateKeyEnvironment } from '../shared/keygen';
import { benchAuthorizer } from './authorizer';
import { buildBundles, repoRoot, sizeItems } from './bundles';
import { benchColdStarts } from './cold-start';
import { childEnvironment, functionEnvironment } from './environment';
import { newVerifiedAccount, startBenchStack } from './local-stack';
import { benchPasswordHashing, benchPeakMemory } from './password-hashing';
import { benchRefresh } from './refresh';
import { formatTable, type BenchItem } from './results';

/**
 * `npm run bench`: measures DESIGN §9 as ratios against baselines measured in the same run, prints
 * the table and writes bench/results.json. It measures; it judges nothing by its exit code (0
 * whatever the results). Sized to finish in well under 5 minutes on a 2-core machine.
 */
const settings = {
  coldStartRounds: 7,
  authorizerRounds: 7,
  // Each production hash takes about a second here: a handful of rounds only.
  hashingRounds: 5,
  memoryRounds: 3,
  refreshRounds: 7,
  refreshesPerRound: 20,
  burstSize: 50,
  bursts: 5,
};

const startedAt = Date.now();
const progress = (line: string) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${line}\n`);
const items: BenchItem[] = [];
const problems: string[] = [];

async function section(name: string, measure: () => Promise<BenchItem[]>): Promise<void> {
  progress(name);
  try {
    items.push(...(await measure()));
  } catch (error) {
    // One broken section must not cost the others' figures.
    problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    progress(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

const keys = generateKeyEnvironment();
const workDir = await mkdtemp(join(tmpdir(), 'serverless-auth-bench-'));
let stack: LocalStack | undefined;
try {
  progress('bundling every function with the stack\'s esbuild settings');
  const bundles = await buildBundles(workDir);
  items.push(...sizeItems(bundles));
  const bundleFile = (name: string) => bundles.functions.find((f) => f.name === name)!.file;

  // Before the local stack starts, so Java does not share the cores with the fresh processes.
  await section('cold starts', () => benchColdStarts(bundles, childEnvironment(functionEnvironment(keys)), settings.coldStartRounds));

  progress('starting the local stack');
  stack = await startBenchStack(keys);
  const running = stack;
  // The stack signs with iss = its own URL; the bundles run here must expect the same issuer.
  const env = { ...functionEnvironment(keys, { tableName: running.tableName, ddbEndpoint: running.ddbEndpoint, sesEndpoint: running.mailUrl }), JWT_ISSUER: running.apiUrl };
  const hashing = {
    loginBundle: bundleFile('login'),
    registerBundle: bundleFile('register'),
    env,
    apiUrl: running.apiUrl,
    mailUrl: running.mailUrl,
    rounds: settings.hashingRounds,
  };

  let loginAccount: string | undefined;
  await section('login and register with the production argon2id', async () => {
    const result = await benchPasswordHashing(hashing);
    loginAccount = result.account;
    return result.items;
  });
  await section('peak memory of the hashing functions', async () => {
    if (!loginAccount) throw new Error('no account (the login section failed)');
    const { PASSWORD_HASHING_MEMORY_MB } = await import('../infra/serverless-auth');
    return benchPeakMemory({ ...hashing, account: loginAccount, lambdaMemoryMb: PASSWORD_HASHING_MEMORY_MB, rounds: settings.memoryRounds });
  });
  await section('authorizer warm path', async () => {
    const { session } = await newVerifiedAccount(running, 'authorizer');
    return benchAuthorizer({ bundle: bundleFile('authorizer'), env, accessToken: session.accessToken, rounds: settings.authorizerRounds });
  });
  await section('refresh through the local gateway', () =>
    benchRefresh({ stack: running, bundle: bundleFile('refresh'), env, rounds: settings.refreshRounds, perRound: settings.refreshesPerRound, burstSize: settings.burstSize, bursts: settings.bursts }),
  );
} catch (error) {
  problems.push(error instanceof Error ? error.message : String(error));
  progress(`stopped early: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  progress('stopping');
  await stack?.stop().catch(() => undefined);
  await rm(workDir, { recursive: true, force: true });
}

const durationSeconds = Math.round((Date.now() - startedAt) / 1000);
console.log(formatTable(items));
const failed = items.filter((i) => i.pass === false).map((i) => i.name);
console.log(`\n${items.filter((i) => i.pass !== null).length - failed.length} budgets met, ${failed.length} missed${failed.length ? ` (${failed.join('; ')})` : ''}; ${durationSeconds} s.`);
for (const problem of problems) console.log(`not measured: ${problem}`);

const results = {
  generatedAt: new Date(startedAt).toISOString(),
  machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model, cores: cpus().length, loadAverageAtEnd: loadavg() },
  durationSeconds,
  settings,
  items,
  problems,
};
// Written beside and renamed, so an interrupted run never leaves half a file.
const resultsFile = join(repoRoot, 'bench', 'results.json');
await writeFile(`${resultsFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
await rename(`${resultsFile}.tmp`, resultsFile);
process.exit(0);
