import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { esbuildOptions, nodejsBundling } from '../../infra/bundling';
import { defaultProvider } from '../../infra/bundle-shims/credential-provider-node';
import { satisfies } from '../../infra/bundle-shims/semver';

const repoRoot = join(import.meta.dirname, '..', '..');
const outDir = await mkdtemp(join(tmpdir(), 'bundling-test-'));
afterAll(() => rm(outDir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});

async function bundleFunction(name: string): Promise<{ file: string; metafile: Metafile }> {
  const file = join(outDir, name, 'index.mjs');
  const { metafile } = await build({
    ...esbuildOptions,
    mainFields: [...esbuildOptions.mainFields],
    external: [...esbuildOptions.external],
    entryPoints: [join(repoRoot, 'functions', name, 'handler.ts')],
    outfile: file,
    absWorkingDir: repoRoot,
    metafile: true,
    logLevel: 'error',
  });
  return { file, metafile };
}

const packagesIn = (metafile: Metafile) =>
  new Set(Object.keys(metafile.inputs).map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1]).filter(Boolean));

describe('Lambda bundles', () => {
  it('leave out the SDK credential chain beyond the environment, its STS/SSO clients and semver', async () => {
    const { metafile } = await bundleFunction('authorizer');

    const packages = packagesIn(metafile);
    expect(packages).toContain('@aws-sdk/credential-provider-env');
    expect(packages).toContain('jsonwebtoken');
    for (const leftOut of ['@aws-sdk/credential-provider-node', '@aws-sdk/credential-provider-ini', '@aws-sdk/credential-provider-sso', '@aws-sdk/nested-clients', '@smithy/credential-provider-imds', 'semver']) {
      expect(packages).not.toContain(leftOut);
    }
  });

  it('still import and answer on this Node with credentials from the environment, as on Lambda', async () => {
    const { file } = await bundleFunction('authorizer');
    vi.stubEnv('TABLE_NAME', 'bundle-test');
    vi.stubEnv('AWS_REGION', 'us-east-1');

    const module = (await import(pathToFileURL(file).href)) as { handler: (event: unknown) => Promise<unknown> };
    const refused = module.handler({ type: 'REQUEST', headers: {}, methodArn: 'arn:aws:execute-api:us-east-1:1:a/prod/GET/me' });

    await expect(refused).rejects.toThrow('Unauthorized');
  });

  it('hands CDK the same stand-ins as the benchmark uses', () => {
    expect(nodejsBundling.esbuildArgs).toEqual({
      '--alias:@aws-sdk/credential-provider-node': esbuildOptions.alias['@aws-sdk/credential-provider-node'],
      '--alias:semver': esbuildOptions.alias.semver,
    });
  });
});

describe('the semver stand-in', () => {
  it('answers yes to the three questions jsonwebtoken asks, on this Node', () => {
    for (const range of ['>=15.7.0', '^6.12.0 || >=8.0.0', '>=16.9.0']) expect(satisfies(process.version, range)).toBe(true);
  });

  it('refuses to guess any other question, or for a Node older than it can vouch for', () => {
    expect(() => satisfies(process.version, '>=30.0.0')).toThrow(/cannot answer/);
    expect(() => satisfies('v14.21.3', '>=15.7.0')).toThrow(/cannot answer/);
  });
});

describe('the credential chain stand-in', () => {
  it('reads the credentials Lambda puts in the environment', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-example');
    vi.stubEnv('AWS_SESSION_TOKEN', 'session-example');

    const credentials = await defaultProvider()();

    expect(credentials).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example', sessionToken: 'session-example' });
  });

  it('fails with the SDK’s credentials error when the environment has none', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);

    await expect(defaultProvider()()).rejects.toThrow(/credentials/i);
  });
});
