import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installedVersion, scratchProject, type ScratchProject } from './scratch';

/**
 * A team's CDK app in a folder of its own, with only the construct package and the CDK installed
 * (no esbuild, no sources of the service): it must synthesize the whole service, cdk-nag clean,
 * from the functions the package ships.
 */
const teamApp = `
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServerlessAuth, readStackConfig } from '@serverless-auth/cdk';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Team');
const auth = new ServerlessAuth(stack, 'Auth', {
  config: readStackConfig({ stage: 'prod', appUrl: 'https://app.acme-corp.io', allowedOrigins: ['https://app.acme-corp.io'], mailFrom: 'no-reply@acme-corp.io' }),
});
const orders = lambda.Function.fromFunctionArn(stack, 'Orders', 'arn:aws:lambda:eu-west-1:123456789012:function:orders');
auth.addProtectedRoute({ method: 'PATCH', path: '/orders/{id}', handler: orders });
const report = new AwsSolutionsChecks(app).validateScope(app);
console.log(JSON.stringify(report.violations.flatMap((v) => v.violatingResources.map((r) => v.ruleName + ' at ' + r.constructPath))));
app.synth();
`;

interface Resource {
  Type: string;
  Properties: Record<string, any>;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(path.join(dir, name)).isDirectory() ? filesUnder(path.join(dir, name)) : [path.join(dir, name)]));
}

/**
 * A team's CDK app (app.mjs, which prints its cdk-nag findings as its last line, then synthesizes)
 * in a scratch project with `packages` installed and `files` written: its findings and the
 * resources of its stack and nested stacks (the functions live in nested stacks by area).
 */
async function synthesizedApp(name: string, packages: readonly string[], files: Record<string, string>): Promise<{ project: ScratchProject; findings: string[]; resources: Resource[] }> {
  const project = await scratchProject(name, packages);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(project.dir, file)), { recursive: true });
    writeFileSync(path.join(project.dir, file), content);
  }
  const { stdout } = await project.exec('node', ['app.mjs']);
  const findings = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
  const templates = readdirSync(path.join(project.dir, 'cdk.out')).filter((file) => file.endsWith('.template.json'));
  const resources = templates.flatMap((file) => Object.values((JSON.parse(readFileSync(path.join(project.dir, 'cdk.out', file), 'utf8')) as { Resources: Record<string, Resource> }).Resources));
  return { project, findings, resources };
}

/** The CDK packages at the versions this repository has installed (already in the npm cache). */
const cdkPackages = () => [`aws-cdk-lib@${installedVersion('aws-cdk-lib')}`, `constructs@${installedVersion('constructs')}`, `cdk-nag@${installedVersion('cdk-nag')}`];

describe('the construct package in a team\'s CDK app', () => {
  let project: ScratchProject;
  let findings: string[];
  let resources: Resource[];

  beforeAll(async () => {
    ({ project, findings, resources } = await synthesizedApp('cdk-app', [inject('tarballs').cdk, ...cdkPackages()], { 'app.mjs': teamApp }));
  });

  afterAll(() => project?.remove());

  it('comes from npm run pack, which leaves exactly the two tarballs in dist/packages', () => {
    // Assess
    const { cdk, client } = inject('tarballs');
    expect(path.dirname(cdk)).toBe(path.dirname(client));
    expect(readdirSync(path.dirname(cdk)).sort()).toEqual([path.basename(cdk), path.basename(client)].sort());
  });

  it('installs without esbuild and without the service\'s TypeScript sources', () => {
    // Assess
    const installed = path.join(project.dir, 'node_modules', '@serverless-auth', 'cdk');
    expect(existsSync(path.join(project.dir, 'node_modules', 'esbuild'))).toBe(false);
    expect(filesUnder(installed).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.includes('bundle-shims'))).toEqual([]);
  });

  it('synthesizes the service with no cdk-nag AwsSolutions finding', () => {
    // Assess
    expect(resources.filter((r) => r.Type === 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    expect(findings).toEqual([]);
  });

  it('deploys every function from a bundle the package ships, byte for byte', () => {
    // Prepare
    const shipped = new Set(
      filesUnder(path.join(project.dir, 'node_modules', '@serverless-auth', 'cdk', 'prebuilt'))
        .filter((file) => file.endsWith('index.mjs'))
        .map(sha256),
    );
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');

    // Act
    const deployed = functions.map((fn) => {
      const asset = path.join(project.dir, 'cdk.out', `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      return { handler: fn.Properties.Handler, code: sha256(path.join(asset, 'index.mjs')) };
    });

    // Assess
    expect(functions.length).toBeGreaterThan(40);
    expect(deployed.filter((fn) => fn.handler !== 'index.handler' || !shipped.has(fn.code))).toEqual([]);
  });

  it('puts the team\'s PATCH route behind the service\'s authorizer, with a preflight that allows PATCH', () => {
    // Prepare
    const methods = resources.filter((r) => r.Type === 'AWS::ApiGateway::Method');

    // Act
    const patch = methods.find((m) => m.Properties.HttpMethod === 'PATCH')!;
    const preflights = methods.filter((m) => m.Properties.HttpMethod === 'OPTIONS' && JSON.stringify(m.Properties.ResourceId) === JSON.stringify(patch.Properties.ResourceId));

    // Assess
    expect(patch.Properties.AuthorizationType).toBe('CUSTOM');
    expect(preflights).toHaveLength(1);
    expect(preflights[0]!.Properties.Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Methods']).toContain('PATCH');
  });
});

/**
 * A team function of the team's own, built through the package's public way (ServiceFunction
 * with an `entry`): the package ships no bundle for it, so it is bundled at synth with the app's
 * own esbuild, which the team installs beside the package (docs/integration.md). Without esbuild
 * the CDK would try to bundle in Docker.
 */
const TEAM_MARK = 'orders of the acme team, bundled at synth';
const teamHandler = `
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { callerFrom } from '@serverless-auth/cdk/caller';

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { userId } = callerFrom(event);
  return { statusCode: 200, body: JSON.stringify({ userId, mark: ${JSON.stringify(TEAM_MARK)} }) };
}
`;
const teamFunctionApp = `
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServerlessAuth, ServiceFunction, readStackConfig } from '@serverless-auth/cdk';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Team');
const auth = new ServerlessAuth(stack, 'Auth', {
  config: readStackConfig({ stage: 'prod', appUrl: 'https://app.acme-corp.io', allowedOrigins: ['https://app.acme-corp.io'], mailFrom: 'no-reply@acme-corp.io' }),
});
const orders = new ServiceFunction(stack, 'Orders', {
  entry: path.join(import.meta.dirname, 'orders', 'handler.ts'),
  description: 'acme list-orders',
  memorySize: 256,
  timeout: Duration.seconds(10),
  environment: {},
  logRetention: RetentionDays.ONE_MONTH,
});
auth.addProtectedRoute({ method: 'GET', path: '/orders', handler: orders.function });
const report = new AwsSolutionsChecks(app).validateScope(app);
console.log(JSON.stringify(report.violations.flatMap((v) => v.violatingResources.map((r) => v.ruleName + ' at ' + r.constructPath))));
app.synth();
`;

describe('a team function bundled by ServiceFunction from the installed construct package', () => {
  let project: ScratchProject;
  let findings: string[];
  let resources: Resource[];

  beforeAll(async () => {
    ({ project, findings, resources } = await synthesizedApp('cdk-team-function', [inject('tarballs').cdk, ...cdkPackages(), `esbuild@${installedVersion('esbuild')}`], {
      'app.mjs': teamFunctionApp,
      'orders/handler.ts': teamHandler,
    }));
  });

  afterAll(() => project?.remove());

  /** The team's function in the template and the code its asset deploys. */
  function teamFunction(): { fn: Resource; bundle: string } {
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description === 'acme list-orders');
    if (!fn) throw new Error('no function with the team\'s description in the templates');
    return { fn, bundle: path.join(project.dir, 'cdk.out', `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs') };
  }

  it('deploys an ESM bundle built at synth from the team\'s entry, not a bundle the package ships, on the service\'s runtime', () => {
    // Prepare
    const shipped = new Set(
      filesUnder(path.join(project.dir, 'node_modules', '@serverless-auth', 'cdk', 'prebuilt'))
        .filter((file) => file.endsWith('index.mjs'))
        .map(sha256),
    );

    // Act
    const { fn, bundle } = teamFunction();
    const code = readFileSync(bundle, 'utf8');

    // Assess
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    expect(code).toContain(TEAM_MARK);
    // The caller helpers are bundled in, not left as an import of the package.
    expect(code).not.toMatch(/from\s*["']@serverless-auth\/cdk/);
    expect(shipped.has(sha256(bundle))).toBe(false);
  });

  it('runs as the team wrote it: the caller the authorizer vouched for, and none without its context', async () => {
    // Prepare
    const { handler } = (await import(pathToFileURL(teamFunction().bundle).href)) as { handler: (event: unknown) => Promise<{ statusCode: number; body: string }> };

    // Act
    const reply = await handler({ requestContext: { authorizer: { userId: 'user-1', sessionId: 'session-1', roles: '' } } });
    const unvouched = handler({ requestContext: {} });

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ userId: 'user-1', mark: TEAM_MARK });
    await expect(unvouched).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('puts the team\'s route behind the service\'s authorizer, cdk-nag clean with the team\'s function', () => {
    // Prepare
    const methods = resources.filter((r) => r.Type === 'AWS::ApiGateway::Method');

    // Act: the GET that invokes the team's function (its integration names the function's logical id)
    const get = methods.find((m) => m.Properties.HttpMethod === 'GET' && JSON.stringify(m.Properties.Integration ?? {}).includes('Orders'));

    // Assess
    expect(get?.Properties.AuthorizationType).toBe('CUSTOM');
    expect(findings).toEqual([]);
  });
});
