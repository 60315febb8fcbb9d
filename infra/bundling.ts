import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const shim = (name: string) => join(import.meta.dirname, 'bundle-shims', `${name}.ts`);

/**
 * How every function is bundled, in esbuild's own terms. The CDK stack derives its bundling
 * options from this object and the benchmark bundles with it directly, so what is measured is
 * what is deployed.
 *
 * - ESM: the runtime loads index.mjs; top-level await works and cold starts skip CJS wrapping.
 * - CJS dependencies (jsonwebtoken and its helpers) call `require` for Node built-ins, which an
 *   ES module does not have: the banner defines one.
 * - The AWS SDK is bundled rather than taken from the runtime, so the deployed code runs the
 *   exact SDK version the tests ran, tree-shaken to the clients in use.
 * - Source maps without sources content: stack traces name our files and lines (with
 *   NODE_OPTIONS=--enable-source-maps) while the bundle stays small.
 * - Left out, because on Lambda's Node 24 they are dead weight that every cold start would parse
 *   (each stand-in in infra/bundle-shims/ says why it is safe):
 *   - the SDK's default credential chain (@aws-sdk/credential-provider-node: profiles, SSO, web
 *     identity, instance metadata and their STS/SSO clients): Lambda puts the role's credentials
 *     in the environment, so the bundles read them there (fromEnv) and nothing else;
 *   - semver, which jsonwebtoken only asks whether Node is newer than 16.9 (yes, always).
 *   Tests and the local stack run the sources, not the bundles, with the full SDK.
 */
export const esbuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  alias: {
    '@aws-sdk/credential-provider-node': shim('credential-provider-node'),
    semver: shim('semver'),
  },
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
} as const satisfies BuildOptions;

/** The same settings as CDK NodejsFunction bundling props (bundled locally with the project's esbuild, no Docker). */
export const nodejsBundling: BundlingOptions = {
  target: esbuildOptions.target,
  format: OutputFormat.ESM,
  mainFields: [...esbuildOptions.mainFields],
  minify: esbuildOptions.minify,
  sourceMap: esbuildOptions.sourcemap,
  sourcesContent: esbuildOptions.sourcesContent,
  externalModules: [...esbuildOptions.external],
  banner: esbuildOptions.banner.js,
  esbuildArgs: Object.fromEntries(Object.entries(esbuildOptions.alias).map(([from, to]) => [`--alias:${from}`, to])),
};

/**
 * Bundles one handler module with exactly these settings into `<outDir>/<name>/index.mjs` (the
 * file name the CDK gives an ESM bundle). The benchmark and the local stack's bundle mode build
 * with this; the stack builds through NodejsFunction with nodejsBundling.
 */
export async function bundleHandler(
  name: string,
  entry: string,
  outDir: string,
  projectRoot: string,
  /** false builds the libraries as their authors ship them (the benchmark's baselines). */
  { standIns = true }: { standIns?: boolean } = {},
): Promise<string> {
  const { build } = await import('esbuild');
  const file = path.join(outDir, name, 'index.mjs');
  await mkdir(path.join(outDir, name), { recursive: true });
  await build({
    ...esbuildOptions,
    mainFields: [...esbuildOptions.mainFields],
    external: [...esbuildOptions.external],
    alias: standIns ? esbuildOptions.alias : {},
    entryPoints: [entry],
    outfile: file,
    absWorkingDir: projectRoot,
    logLevel: 'error',
  });
  return file;
}
