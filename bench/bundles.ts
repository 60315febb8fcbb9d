import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleHandler } from '../infra/bundling';
import { authorizer, functionNames, lifecyclePublisher, mailer, mailFeedback, routes, type FunctionAccess } from '../shared/routes';
import { item, type BenchItem } from './results';

/**
 * Every function bundled exactly as the stack bundles it (infra/bundling.ts), plus baseline
 * bundles built with the same settings that hold only the libraries a function cannot do
 * without. What a function adds on top of its baseline is the cost of our own code.
 */
export const repoRoot = join(import.meta.dirname, '..');

export const baselineNames = {
  empty: 'empty bundle',
  jsonwebtoken: 'jsonwebtoken bundle',
  dynamodb: 'DynamoDB client bundle',
  jsonwebtokenDynamodb: 'jsonwebtoken + DynamoDB bundle',
  dynamodbSes: 'DynamoDB + SES bundle',
} as const;

export type BaselineKey = keyof typeof baselineNames;

const baselineEntries: Record<BaselineKey, string> = {
  empty: 'empty.ts',
  jsonwebtoken: 'jsonwebtoken.ts',
  dynamodb: 'dynamodb.ts',
  jsonwebtokenDynamodb: 'jsonwebtoken-dynamodb.ts',
  dynamodbSes: 'dynamodb-ses.ts',
};

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface FunctionBundle extends Bundle {
  /** The baseline this function's size and import time are held against. */
  baseline: BaselineKey;
}

export interface BuiltBundles {
  functions: FunctionBundle[];
  baselines: Record<BaselineKey, Bundle>;
}

function accessOf(functionName: string): FunctionAccess {
  if (functionName === authorizer.functionName) return authorizer.access;
  if (functionName === mailer.functionName) return mailer.access;
  if (functionName === mailFeedback.functionName) return mailFeedback.access;
  if (functionName === lifecyclePublisher.functionName) return lifecyclePublisher.access;
  const route = routes.find((r) => r.functionName === functionName);
  if (!route) throw new Error(`no route for function ${functionName}`);
  return route.access;
}

/**
 * The budget: every function against a bundle holding only the DynamoDB document client; a
 * function that sends mail itself (only the mailer, once sign-up mail goes through the outbox)
 * against that plus the SES client.
 */
function baselineFor(functionName: string): BaselineKey {
  if (functionName === authorizer.functionName) return 'dynamodb';
  return accessOf(functionName).sendsMail ? 'dynamodbSes' : 'dynamodb';
}

/**
 * `ours`: the stack's settings with its stand-ins (infra/bundle-shims); the baselines are the
 * libraries as their authors ship them, so the stand-ins count as our saving, not the baseline's.
 */
async function bundle(name: string, entry: string, outDir: string, ours: boolean): Promise<Bundle> {
  const file = await bundleHandler(name, entry, outDir, repoRoot, { standIns: ours });
  const [{ size }, content] = await Promise.all([stat(file), readFile(file)]);
  return { name, file, bytes: size, gzipBytes: gzipSync(content).length };
}

export async function buildBundles(outDir: string): Promise<BuiltBundles> {
  const functions = await Promise.all(
    functionNames.map(async (name) => ({
      ...(await bundle(name, join(repoRoot, 'functions', name, 'handler.ts'), outDir, true)),
      baseline: baselineFor(name),
    })),
  );
  const baselineList = await Promise.all(
    (Object.keys(baselineEntries) as BaselineKey[]).map(
      async (key) => [key, await bundle(`baseline-${key}`, join(repoRoot, 'bench', 'baselines', baselineEntries[key]), outDir, false)] as const,
    ),
  );
  return { functions, baselines: Object.fromEntries(baselineList) as Record<BaselineKey, Bundle> };
}

const kib = (bytes: number) => bytes / 1024;
const single = (value: number) => ({ median: value, min: value, max: value, runs: 1 });

/** Bundle sizes: each function against its baseline bundle (sizes do not vary between runs). */
export function sizeItems(bundles: BuiltBundles): BenchItem[] {
  return bundles.functions.map((fn) => {
    const baseline = bundles.baselines[fn.baseline];
    return item({
      name: `bundle size: ${fn.name}`,
      unit: 'KiB',
      value: single(kib(fn.bytes)),
      baseline: { name: baselineNames[fn.baseline], value: single(kib(baseline.bytes)) },
      ratio: fn.baseline === 'empty' ? null : single(fn.bytes / baseline.bytes),
      budget: null,
      note: `gzip ${kib(fn.gzipBytes).toFixed(0)} KiB (baseline ${kib(baseline.gzipBytes).toFixed(0)} KiB)`,
    });
  });
}
