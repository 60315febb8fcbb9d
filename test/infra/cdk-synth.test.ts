import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionNames } from '../../shared/routes';

/**
 * The "done when" of the stack: `npx cdk synth` on a fresh clone, with no AWS credentials and no
 * network, bundles every function and passes cdk-nag (the app registers it; a finding fails
 * synth). This runs the real CLI once (about a minute on two cores), then checks its output.
 */
const ROOT = path.join(import.meta.dirname, '..', '..');

interface Run {
  code: number | null;
  output: string;
}

/** The CDK CLI as a user runs it, without any AWS credentials in the environment. */
function cdk(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', ...args, '--no-notices'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Imports a bundle in a fresh Node process, as the Lambda runtime would, and reports its export. */
function loadInFreshNode(bundle: string): Promise<Run> {
  const script = `const m = await import(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler);`;
  const env = { PATH: process.env.PATH, TABLE_NAME: 'table', AWS_REGION: 'eu-west-1', NODE_OPTIONS: '--enable-source-maps' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { cwd: tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const outdir = mkdtempSync(path.join(tmpdir(), 'serverless-auth-synth-'));
let synth: Run;
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
/** The resources of the stack and of its nested stacks (the functions live in those: docs/deploy.md). */
let resources: Resources;

beforeAll(async () => {
  synth = await cdk(['synth', '--quiet', '--output', outdir]);
  const root = 'ServerlessAuth-dev.template.json';
  const nested = readdirSync(outdir).filter((file) => file.endsWith('.nested.template.json'));
  resources = Object.assign({}, ...[root, ...nested].map((file) => (JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as { Resources: Resources }).Resources));
}, 600_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('npx cdk synth', () => {
  it('succeeds offline without AWS credentials, with cdk-nag AwsSolutions finding nothing', () => {
    // Assess
    expect(synth.output).not.toMatch(/AwsSolutions-\w+/);
    expect(synth.code).toBe(0);
  });

  it('bundles every function (the route table\'s, the authorizer, the mailer and its feedback, the key manager, the logging-role and table-protection setters) into an ES module with a source map and the require shim', () => {
    // Act
    const bundles = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => path.join(outdir, `asset.${(r.Properties.Code.S3Key as string).replace(/\.zip$/, '')}`, 'index.mjs'));

    // Assess
    expect(bundles).toHaveLength(functionNames.length + 3);
    for (const bundle of bundles) {
      expect(existsSync(`${bundle}.map`)).toBe(true);
      expect(readFileSync(bundle, 'utf8')).toMatch(/^import \{ createRequire as __createRequire \} from 'node:module'; const require = __createRequire\(import\.meta\.url\);/);
    }
  });

  it('produces bundles that load in a fresh Node process and export the handler', async () => {
    // Prepare
    const bundles = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => path.join(outdir, `asset.${(r.Properties.Code.S3Key as string).replace(/\.zip$/, '')}`, 'index.mjs'));

    // Act
    const loads = await Promise.all(bundles.map(loadInFreshNode));

    // Assess
    for (const load of loads) expect(load).toEqual({ code: 0, output: 'function' });
  }, 120_000);

  it('fails on bad context with one line per problem, naming the key and the rule', async () => {
    // Act
    const run = await cdk([
      'synth', '--quiet',
      '-c', 'allowedOrigins=https://app.example.com/',
      '-c', 'authorizerCacheTtlSeconds=5000',
      '-c', 'wafRatelimit=50',
      '--output', path.join(outdir, 'bad'),
    ]);

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      [
        'Invalid cdk context (set it with -c key=value or in cdk.json):',
        '  unknown context key wafRatelimit: did you mean wafRateLimit?',
        '  allowedOrigins: must be a bare origin like https://app.example.com (no path, no trailing slash)',
        '  authorizerCacheTtlSeconds: must be between 0 and 3600',
      ].join('\n'),
    );
    expect(run.output).not.toMatch(/\n\s+at /);
  }, 120_000);

  it("refuses cdk.json's example domains on a stage other than dev, one line per key", async () => {
    // Act
    const run = await cdk(['synth', '--quiet', '-c', 'stage=prod', '--output', path.join(outdir, 'prod')]);

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      [
        'Invalid cdk context (set it with -c key=value or in cdk.json):',
        '  mailFrom: is an example value (example.com); stage prod needs your own (only stage dev accepts examples)',
      ].join('\n'),
    );
    expect(run.output).not.toMatch(/\n\s+at /);
  }, 120_000);
});
