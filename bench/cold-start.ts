import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { baselineNames, type BaselineKey, type BuiltBundles, type Bundle } from './bundles';
import { item, type BenchItem } from './results';
import { pairedRatios, shuffled, summarize } from './stats';

/**
 * A bundle's cold start, as far as it is ours to spend: the time from `import()` to a ready
 * module in a fresh Node process (Node's own start-up is the same for every bundle and left out).
 * Each bundle is measured right beside its baseline (in random order), pair after pair in a new
 * random order every round, so a busy moment of the machine hits both sides of a ratio alike.
 * CPU time is recorded too: unlike wall time it does not grow while other processes hold the
 * cores, and on a small Lambda (a fraction of a vCPU) it is what the import really costs.
 */
const run = promisify(execFile);

/** the budgets in docs/performance.md: every function's import may cost at most 1.1 × its baseline bundle (bench/bundles.ts). */
const COLD_START_BUDGET = 1.1;

/**
 * The functions that carry a WebAuthn library (@simplewebauthn/server), which docs/performance.md
 * allows 1.3 ×, naming it: the two that check a ceremony's response, and every route whose step-up
 * accepts a passkey assertion (they evaluate it only when one comes, but still parse it). Handing
 * out options and listing passkeys need none of it.
 */
export const WEBAUTHN_FUNCTIONS: readonly string[] = [
  'passkey-register', 'passkey-login',
  // Their step-up accepts a passkey assertion.
  'passkey-register-options', 'delete-passkey', 'oauth-link', 'unlink-identity',
  'change-password', 'change-email', 'delete-account', 'mfa-enroll', 'mfa-recovery-codes', 'mfa-disable',
];

/** The functions that talk to an identity provider carry its OAuth / OpenID client (oauth4webapi), evaluated at import. */
export const OAUTH_FUNCTIONS: readonly string[] = ['oauth-start', 'oauth-link', 'oauth-callback'];

/** A function that carries a library of its own may cost 1.3 × to import; docs/performance.md names the library. */
const LIBRARY_COLD_START_BUDGET = 1.3;

/** The libraries a function's budget allows it, by name; none for the 1.1 × functions. */
function allowedLibraries(functionName: string): string[] {
  return [
    ...(WEBAUTHN_FUNCTIONS.includes(functionName) ? ['@simplewebauthn/server'] : []),
    ...(OAUTH_FUNCTIONS.includes(functionName) ? ['oauth4webapi'] : []),
  ];
}

/** The deployed functions run with NODE_OPTIONS=--enable-source-maps (infra/service-function.ts). */
export const DEPLOYED_NODE_FLAGS = ['--enable-source-maps'];

const IMPORT_SCRIPT = `
const cpu = process.cpuUsage();
const started = performance.now();
await import(process.env.BENCH_MODULE_URL);
const wallMs = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (user + system) / 1000 }));
process.exit(0);
`;

interface ImportTime {
  wallMs: number;
  cpuMs: number;
}

async function importTime(file: string, env: NodeJS.ProcessEnv): Promise<ImportTime> {
  const { stdout } = await run(process.execPath, [...DEPLOYED_NODE_FLAGS, '--input-type=module', '-e', IMPORT_SCRIPT], {
    env: { ...env, BENCH_MODULE_URL: pathToFileURL(file).href },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as ImportTime;
}

interface Pair {
  name: string;
  target: Bundle;
  baseline: Bundle;
  baselineLabel: string;
  budget: number | null;
}

interface PairSamples {
  target: ImportTime[];
  baseline: ImportTime[];
}

async function measurePairs(pairs: readonly Pair[], rounds: number, env: NodeJS.ProcessEnv): Promise<Map<Pair, PairSamples>> {
  const samples = new Map<Pair, PairSamples>(pairs.map((p) => [p, { target: [], baseline: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const pair of shuffled(pairs)) {
      const sides = shuffled(['target', 'baseline'] as const);
      for (const side of sides) samples.get(pair)![side].push(await importTime(pair[side].file, env));
    }
  }
  return samples;
}

/**
 * Judged on CPU time: on a shared 2-core machine the wall time of a 100 ms import swings 3× with
 * the other jobs' load (waiting for a core counts in it, on either side of a pair at random),
 * while the CPU the import spends does not; and a Lambda with a fraction of a vCPU and nothing
 * else to run pays for an import in CPU time. The wall clock is printed in the note.
 */
function pairItem(pair: Pair, { target, baseline }: PairSamples): BenchItem {
  const wall = (times: ImportTime[]) => times.map((t) => t.wallMs);
  const cpu = (times: ImportTime[]) => times.map((t) => t.cpuMs);
  const wallRatio = summarize(pairedRatios(wall(target), wall(baseline)));
  const range = (values: { min: number; max: number }) => `${values.min.toFixed(2)}–${values.max.toFixed(2)}`;
  return item({
    name: pair.name,
    unit: 'ms CPU',
    value: summarize(cpu(target)),
    baseline: { name: pair.baselineLabel, value: summarize(cpu(baseline)) },
    ratio: summarize(pairedRatios(cpu(target), cpu(baseline))),
    budget: pair.budget,
    note: `${target.length} fresh processes each side; wall ${summarize(wall(target)).median.toFixed(0)} vs ${summarize(wall(baseline)).median.toFixed(0)} ms (${wallRatio.median.toFixed(2)}×, ${range(wallRatio)})`,
  });
}

/** Import time of every function against its baseline bundle, and of each baseline against the empty bundle. */
export async function benchColdStarts(bundles: BuiltBundles, env: NodeJS.ProcessEnv, rounds: number): Promise<BenchItem[]> {
  const functionPairs: Pair[] = bundles.functions.map((fn) => {
    const libraries = allowedLibraries(fn.name);
    return {
      name: `cold start (import): ${fn.name}`,
      target: fn,
      baseline: bundles.baselines[fn.baseline],
      baselineLabel: libraries.length ? `${baselineNames[fn.baseline]} (with ${libraries.join(' and ')}: ${LIBRARY_COLD_START_BUDGET} ×)` : baselineNames[fn.baseline],
      budget: libraries.length ? LIBRARY_COLD_START_BUDGET : COLD_START_BUDGET,
    };
  });
  const baselinePairs: Pair[] = (Object.entries(bundles.baselines) as Array<[BaselineKey, Bundle]>)
    .filter(([key]) => key !== 'empty')
    .map(([key, bundle]) => ({
      name: `cold start (import): ${baselineNames[key]}`,
      target: bundle,
      baseline: bundles.baselines.empty,
      baselineLabel: baselineNames.empty,
      budget: null,
    }));
  const pairs = [...functionPairs, ...baselinePairs];
  const samples = await measurePairs(pairs, rounds, env);
  return pairs.map((pair) => pairItem(pair, samples.get(pair)!));
}
