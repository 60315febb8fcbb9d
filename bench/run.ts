import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '../infra/local/stack';
import { generateKeyEnvironment } from '../shared/keygen';
import { benchAuthorizer } from './authorizer';
import { buildBundles, repoRoot, sizeItems } from './bundles';
import { benchColdStarts } from './cold-start';
import { childEnvironment, functionEnvironment } from './environment';
import { newVerifiedAccount, startBenchStack } from './local-stack';
import { benchMailIntentRoute, benchMailLatency, mailIntentRouteExists } from './mail-intents';
import { benchPasskeyLogin } from './passkeys';
import { benchPasswordHashing, benchPeakMemory } from './password-hashing';
import { benchProviderCallback } from './provider-callback';
import { benchRefresh } from './refresh';
import { formatTable, type BenchItem } from './results';

/**
 * `npm run bench`: measures the budgets in docs/performance.md as ratios against baselines measured in the same run, prints
 * the table and writes bench/results.json. It measures; it judges nothing by its exit code (0
 * whatever the results). Sized to finish in well under 5 minutes on a 2-core machine.
 *
 * `npm run bench -- --only refresh,register` runs only the sections whose names contain one of
 * those words and replaces just their lines in bench/results.json (listed under `reruns`): for a
 * section that a busy moment of the machine spoiled.
 */
const settings = {
  // 21 fresh processes per bundle and per baseline: on 2 cores, 11 left a function's median 0.3x apart between runs.
  coldStartRounds: 21,
  authorizerRounds: 7,
  // A round includes one scrypt hash of the first version (about 0.4 s here).
  hashingRounds: 15,
  // 15 × 6 = 90 timed logins of each kind and as many floors, interleaved.
  loginsPerRound: 6,
  memoryRounds: 3,
  refreshRounds: 7,
  refreshesPerRound: 20,
  burstSize: 50,
  bursts: 5,
  // 15 × 30 = 450 interleaved timed calls per address kind and for the bare PutItem: with 7 runs, one
  // slow phase of DynamoDB Local moved the median of the runs' ratios by 0.2.
  intentRounds: 15,
  intentsPerRound: 30,
  // 7 × 30 = 210 timed passkey logins and as many floors, interleaved.
  passkeyRounds: 7,
  passkeysPerRound: 30,
  latencyMails: 15,
  // 7 × 10 = 70 timed callbacks and as many bare exchanges, interleaved (each needs a sign-in at the provider first).
  providerCallbackRounds: 7,
  providerCallbacksPerRound: 10,
};

const onlyArgument = process.argv.indexOf('--only');
const only = onlyArgument === -1 ? undefined : (process.argv[onlyArgument + 1] ?? '').split(',').filter(Boolean);
const selected = (name: string) => !only || only.some((word) => name.includes(word));

const startedAt = Date.now();
const progress = (line: string) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${line}\n`);
const items: BenchItem[] = [];
const problems: string[] = [];
const skipped: string[] = [];
const ran: string[] = [];

async function section(name: string, measure: () => Promise<BenchItem[]>): Promise<void> {
  if (!selected(name)) return;
  ran.push(name);
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
  await section('bundle sizes', async () => sizeItems(bundles));
  const bundleFile = (name: string) => bundles.functions.find((f) => f.name === name)!.file;

  // Before the local stack starts, so Java does not share the cores with the fresh processes.
  await section('cold starts', () => benchColdStarts(bundles, childEnvironment(functionEnvironment(keys)), settings.coldStartRounds));

  progress('starting the local stack');
  stack = await startBenchStack(keys);
  const running = stack;
  const env = functionEnvironment(keys, { tableName: running.tableName, ddbEndpoint: running.ddbEndpoint, ddbCredentials: running.ddbCredentials, breachedPasswordsUrl: running.breachedPasswordsUrl, sesEndpoint: running.mailUrl, issuer: running.apiUrl });
  const hashing = {
    loginBundle: bundleFile('login'),
    verifyBundle: bundleFile('verify'),
    env,
    apiUrl: running.apiUrl,
    mailUrl: running.mailUrl,
    ddbEndpoint: running.ddbEndpoint,
    ddbCredentials: running.ddbCredentials,
    tableName: running.tableName,
    rounds: settings.hashingRounds,
    loginsPerRound: settings.loginsPerRound,
  };

  let loginAccount: string | undefined;
  await section('login and verify with the production argon2id', async () => {
    const result = await benchPasswordHashing(hashing);
    loginAccount = result.account;
    return result.items;
  });
  await section('peak memory of the hashing functions', async () => {
    loginAccount ??= (await newVerifiedAccount(running, 'memory')).email;
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
  // Before the intent routes' sections, whose hundreds of intents would queue ahead of these mails.
  await section('mail latency through the outbox', () => benchMailLatency(running, settings.latencyMails));
  await section('passkey login against its floor', () =>
    benchPasskeyLogin({ stack: running, optionsBundle: bundleFile('passkey-login-options'), loginBundle: bundleFile('passkey-login'), env, rounds: settings.passkeyRounds, perRound: settings.passkeysPerRound }),
  );
  for (const functionName of ['register', 'forgot-password', 'email-signin']) {
    const name = `${functionName} against one PutItem`;
    if (!mailIntentRouteExists(functionName)) {
      if (selected(name)) skipped.push(`${name}: functions/${functionName}/handler.ts (or its route) does not exist yet`);
      continue;
    }
    await section(name, async () => {
      const { email } = await newVerifiedAccount(running, `known-${functionName}`);
      return benchMailIntentRoute(
        { functionName, bundle: bundleFile(functionName) },
        { stack: running, env, knownEmail: email, rounds: settings.intentRounds, perRound: settings.intentsPerRound },
      );
    });
  }
  await section('provider callback against the bare token exchange', () =>
    benchProviderCallback({
      startBundle: bundleFile('oauth-start'), callbackBundle: bundleFile('oauth-callback'), env, rounds: settings.providerCallbackRounds, perRound: settings.providerCallbacksPerRound,
    }),
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
for (const reason of skipped) console.log(`skipped: ${reason}`);

const machine = { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model, cores: cpus().length, loadAverageAtEnd: loadavg() };
const resultsFile = join(repoRoot, 'bench', 'results.json');
let results: Record<string, unknown> = { generatedAt: new Date(startedAt).toISOString(), machine, durationSeconds, settings, items, problems, skipped };
if (only) {
  // A partial run replaces its own lines in the last full run's file, in place, and says so.
  const previous = JSON.parse(await readFile(resultsFile, 'utf8')) as { items: BenchItem[]; problems?: string[]; reruns?: unknown[] } & Record<string, unknown>;
  const fresh = new Map(items.map((i) => [i.name, i]));
  const kept = previous.items.map((i) => fresh.get(i.name) ?? i);
  const added = items.filter((i) => !previous.items.some((p) => p.name === i.name));
  results = {
    ...previous,
    items: [...kept, ...added],
    // A re-run section's earlier failure is no longer the state of its lines.
    problems: [...(previous.problems ?? []).filter((problem) => !ran.some((name) => problem.startsWith(`${name}:`))), ...problems],
    reruns: [...(previous.reruns ?? []), { at: new Date(startedAt).toISOString(), sections: ran, machine, durationSeconds, problems, skipped }],
  };
}
// Written beside and renamed, so an interrupted run never leaves half a file.
await writeFile(`${resultsFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
await rename(`${resultsFile}.tmp`, resultsFile);
process.exit(0);
