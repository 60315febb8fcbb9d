import { Duration, NestedStack, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { APIGatewayClient, BadRequestException, GetAccountCommand, UpdateAccountCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_METRICS_PER_ALARM } from '../../infra/alarms';
import { ServerlessAuth, ServiceFunction } from '../../infra';
import { pascalCase } from '../../infra/names';
import { ensureCloudWatchRole } from '../../infra/api-gateway-account/handler';
import { authorizer, lifecyclePublisher, mailer, mailFeedback, routes, type Route } from '../../shared/routes';
import { flatTemplate, type StackTemplate } from './support/nested';
import { realValues, synthesize, templatesOfStack, testApp } from './support/synth';
import { TemplateView } from './support/template';

// The role setter logs its retries; the infra project has no test environment that silences it.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const REPO_ROOT = path.join(import.meta.dirname, '..', '..');

/** What a first `cdk deploy` into a fresh account, or a second stage in the same one, depends on. */
let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

describe('API Gateway account CloudWatch role', () => {
  it('is set by a custom resource before the stage with access logging is created, never by an AWS::ApiGateway::Account that would overwrite it', () => {
    // Act
    const template = view.template.toJSON();
    const [setting] = view.ofType('Custom::ApiGatewayCloudWatchRole');
    const [stage] = Object.entries(template.Resources as Record<string, { Type: string; DependsOn?: string[] }>).filter(([, r]) => r.Type === 'AWS::ApiGateway::Stage');

    // Assess
    expect(view.ofType('AWS::ApiGateway::Account')).toEqual([]);
    expect(view.resolve(setting!.props.ServiceToken)).toBe('ApiGatewayCloudWatchRole/Setter/Function.Arn');
    expect(view.resolve(setting!.props.RoleArn)).toBe('ApiGatewayCloudWatchRole/Role.Arn');
    // A hung setter fails the deploy in minutes instead of CloudFormation's default hour.
    expect(setting!.props.ServiceTimeout).toBe('300');
    expect(stage![1].DependsOn).toContain(setting!.id);
  });

  it('is a role API Gateway can assume to write logs, kept when the stack is deleted (the account setting may outlive it)', () => {
    // Act
    const role = view.ofType('AWS::IAM::Role').find((r) => r.path === 'ApiGatewayCloudWatchRole/Role')!;

    // Assess
    view.template.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain', Properties: { Description: role.props.Description } });
    expect(role.props.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
    expect(role.props.Policies[0].PolicyDocument.Statement[0].Action).toContain('logs:PutLogEvents');
    expect(role.props.ManagedPolicyArns).toBeUndefined();
  });

  it('is set by a function that may read and patch the account settings and pass only that role, only to API Gateway', () => {
    // Act
    const setter = view.ofType('AWS::Lambda::Function').find((f) => f.path === 'ApiGatewayCloudWatchRole/Setter/Function')!;
    const statements = view.statementsOf(setter).filter((s) => !s.actions.some((a) => a.startsWith('logs:') || a.startsWith('xray:')));

    // Assess
    expect(statements).toEqual([
      { actions: ['apigateway:GET', 'apigateway:PATCH'], resources: ['arn:${AWS::Partition}:apigateway:${AWS::Region}::/account'] },
      {
        actions: ['iam:PassRole'],
        resources: ['ApiGatewayCloudWatchRole/Role.Arn'],
        condition: { StringEquals: { 'iam:PassedToService': 'apigateway.amazonaws.com' } },
      },
    ]);
  });
});

describe('setting the account CloudWatch role', () => {
  const apiGateway = mockClient(APIGatewayClient);
  const ROLE = 'arn:aws:iam::123456789012:role/ServerlessAuth-dev-ApiGatewayCloudWatchRole';
  const noWait = { attempts: 3, delayMs: 1 };

  afterEach(() => {
    apiGateway.reset();
  });

  it('sets the role where the account has none', async () => {
    // Prepare
    apiGateway.on(GetAccountCommand).resolves({});
    apiGateway.on(UpdateAccountCommand).resolves({ cloudwatchRoleArn: ROLE });

    // Act
    const setting = await ensureCloudWatchRole(new APIGatewayClient({}), ROLE, noWait);

    // Assess
    expect(setting).toEqual({ roleArn: ROLE, setByThisStack: true });
    expect(apiGateway.commandCalls(UpdateAccountCommand)[0]!.args[0].input).toEqual({
      patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: ROLE }],
    });
  });

  it('leaves a role someone else set alone', async () => {
    // Prepare
    const theirs = 'arn:aws:iam::123456789012:role/platform-apigateway-logs';
    apiGateway.on(GetAccountCommand).resolves({ cloudwatchRoleArn: theirs });

    // Act
    const setting = await ensureCloudWatchRole(new APIGatewayClient({}), ROLE, noWait);

    // Assess
    expect(setting).toEqual({ roleArn: theirs, setByThisStack: false });
    expect(apiGateway.commandCalls(UpdateAccountCommand)).toHaveLength(0);
  });

  it('retries while the new role is not assumable yet, then gives up with the error', async () => {
    // Prepare
    const notYet = new BadRequestException({ message: 'The role ARN does not have required permissions set to API Gateway', $metadata: {} });
    apiGateway.on(GetAccountCommand).resolves({});
    apiGateway.on(UpdateAccountCommand).rejectsOnce(notYet).resolves({});

    // Act
    const setting = await ensureCloudWatchRole(new APIGatewayClient({}), ROLE, noWait);
    apiGateway.on(UpdateAccountCommand).rejects(notYet);
    const failure = ensureCloudWatchRole(new APIGatewayClient({}), ROLE, noWait);

    // Assess
    expect(setting.setByThisStack).toBe(true);
    await expect(failure).rejects.toThrow('does not have required permissions');
  });
});

describe('stages sharing an account', () => {
  it('name the REST API after the stack, and tag custom metrics with the stage', () => {
    // Act
    const prod = new TemplateView(synthesize({ stage: 'prod', ...realValues }).template);

    // Assess
    expect(view.ofType('AWS::ApiGateway::RestApi')[0]!.props.Name).toBe('ServerlessAuth-dev');
    expect(prod.ofType('AWS::ApiGateway::RestApi')[0]!.props.Name).toBe('ServerlessAuth-prod');
    expect(prod.lambda('refresh').props.Environment.Variables.STAGE).toBe('prod');
    const reuse = prod.ofType('AWS::CloudWatch::Alarm').find((a) => a.path === 'Alarms/RefreshTokenReuse')!;
    expect(reuse.props.Dimensions).toContainEqual({ Name: 'stage', Value: 'prod' });
    expect(reuse.props.Dimensions).toContainEqual({ Name: 'stack', Value: 'ServerlessAuth-prod' });
    expect(prod.lambda('refresh').props.Environment.Variables.STACK_NAME).toBe('ServerlessAuth-prod');
  });
});

/**
 * CloudFormation's limits per template (one stack, nested or not): 500 resources, 200
 * parameters, 200 outputs, and a template of at most 1 MB read from S3 (where the CDK puts them).
 */
const CLOUDFORMATION_LIMITS = { resources: 500, parameters: 200, outputs: 200, templateBytes: 1_000_000 } as const;
/**
 * The room every stack must still have once the service, the routes #23 adds and a team's 30
 * routes are in it: 100 resources (about 33 more team routes on new paths in the construct's
 * stack, 20 more functions in a nested one), 40 parameters and outputs, and a fifth of the
 * template size (as the CDK writes it, indented by one space).
 */
const HEADROOM = { resources: 100, parameters: 40, outputs: 40, templateBytes: 200_000 } as const;

describe('a service that grows: the routes #23 adds and a team\'s own 30 routes', () => {
  /** Stand-ins for the routes of sign-in with an identity provider (#23), each with a function of its own. */
  const IDENTITY_PROVIDER_ROUTES: Array<Pick<Route, 'method' | 'path' | 'auth'>> = [
    { method: 'GET', path: '/auth/oauth/{provider}/start', auth: 'public' },
    { method: 'POST', path: '/auth/oauth/{provider}/link', auth: 'protected' },
    { method: 'GET', path: '/auth/oauth/{provider}/callback', auth: 'public' },
    { method: 'POST', path: '/auth/oauth/{provider}/callback', auth: 'public' },
    { method: 'POST', path: '/auth/identities/confirm', auth: 'public' },
    { method: 'GET', path: '/auth/methods', auth: 'protected' },
    { method: 'DELETE', path: '/auth/identities/{id}', auth: 'protected' },
  ];
  /** A team's routes through addProtectedRoute, each on a path of its own (a resource and a preflight each: the worst case). */
  const TEAM_ROUTES = 30;
  const EXTRA_ROUTES = IDENTITY_PROVIDER_ROUTES.length;
  const longerTable: Route[] = [
    ...routes,
    ...IDENTITY_PROVIDER_ROUTES.map((route, index): Route => ({
      ...route,
      functionName: `extra-${index + 1}`,
      access: { table: ['read'], secrets: [], sendsMail: false, hashesPasswords: false },
    })),
  ];
  let stacks: StackTemplate[];
  let grown: TemplateView;

  beforeAll(() => {
    // Prepare: a functions/ folder with an entry for each function (not bundled here, only
    // located; the CDK wants entries under the project root, so in the ignored cdk.out/)
    mkdirSync(path.join(REPO_ROOT, 'cdk.out'), { recursive: true });
    const functionsDir = mkdtempSync(path.join(REPO_ROOT, 'cdk.out', 'functions-'));
    const teamNames = Array.from({ length: TEAM_ROUTES }, (_, index) => `team-${index + 1}`);
    for (const name of [...longerTable.map((r) => r.functionName), authorizer.functionName, mailer.functionName, mailFeedback.functionName, lifecyclePublisher.functionName, ...teamNames]) {
      mkdirSync(path.join(functionsDir, name));
      writeFileSync(path.join(functionsDir, name, 'handler.ts'), 'export const handler = async () => ({ statusCode: 200 });\n');
    }

    // Act: a team's stack, as docs/integration.md builds it: the construct, and the team's
    // functions in a nested stack of the team's own.
    const { app, config } = testApp();
    const stack = new Stack(app, 'TeamStack');
    const auth = new ServerlessAuth(stack, 'Auth', { config, routes: longerTable, functionsDir });
    const teamFunctions = new NestedStack(stack, 'TeamFunctions');
    for (const name of teamNames) {
      const fn = new ServiceFunction(teamFunctions, pascalCase(name), {
        entry: path.join(functionsDir, name, 'handler.ts'),
        description: `team ${name}`,
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: {},
        logRetention: RetentionDays.ONE_MONTH,
      });
      auth.addProtectedRoute({ method: 'GET', path: `/team/${name}`, handler: fn.function, tableAccess: 'read' });
    }
    stacks = templatesOfStack(app, stack);
    grown = new TemplateView(flatTemplate(stacks));
    rmSync(functionsDir, { recursive: true, force: true });
  });

  it('keeps every stack, the team\'s and each nested one, within CloudFormation\'s limits with the stated headroom', () => {
    // Assess
    expect(stacks.map((s) => s.path).sort()).toEqual(
      ['TeamStack', 'TeamStack/Auth/AccountRoutes', 'TeamStack/Auth/AdminRoutes', 'TeamStack/Auth/AuthRoutes', 'TeamStack/Auth/OtherRoutes', 'TeamStack/Auth/Workers', 'TeamStack/TeamFunctions'].sort(),
    );
    for (const { path: stackPath, template } of stacks) {
      expect(Object.keys(template.Resources).length, stackPath).toBeLessThanOrEqual(CLOUDFORMATION_LIMITS.resources - HEADROOM.resources);
      expect(Object.keys(template.Parameters ?? {}).length, stackPath).toBeLessThanOrEqual(CLOUDFORMATION_LIMITS.parameters - HEADROOM.parameters);
      expect(Object.keys(template.Outputs ?? {}).length, stackPath).toBeLessThanOrEqual(CLOUDFORMATION_LIMITS.outputs - HEADROOM.outputs);
      expect(Buffer.byteLength(JSON.stringify(template, undefined, 1)), stackPath).toBeLessThanOrEqual(CLOUDFORMATION_LIMITS.templateBytes - HEADROOM.templateBytes);
    }
  });

  it('serves every route of the grown table and every team route, each from its own function', () => {
    // Assess
    for (const route of longerTable) expect(grown.resolve(grown.method(route.method, route.path).props.Integration.Uri)).toContain(`/${pascalCase(route.functionName)}/Function.Arn/invocations`);
    for (let n = 1; n <= TEAM_ROUTES; n++) {
      const method = grown.method('GET', `/team/team-${n}`);
      expect(method.props.AuthorizationType).toBe('CUSTOM');
      expect(grown.resolve(method.props.Integration.Uri)).toContain(`TeamFunctions/Team${n}/Function.Arn/invocations`);
    }
  });

  it('still synthesizes, with every alarm within CloudWatch limits and every function watched for errors and throttles', () => {
    // Assess
    const alarms = grown.ofType('AWS::CloudWatch::Alarm');
    for (const { props } of alarms) {
      expect((props.Metrics ?? []).filter((m: any) => m.MetricStat).length).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
      expect((props.AlarmName as string).length).toBeLessThanOrEqual(255);
    }
    const throttled = alarms
      .filter((a) => a.path.startsWith('Auth/Alarms/LambdaThrottles'))
      .flatMap((a) => a.props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => grown.resolve(m.MetricStat.Metric.Dimensions[0].Value)));
    const deployTime = (p: string) => p.startsWith('Auth/ApiGatewayCloudWatchRole/') || p.startsWith('Auth/TableProtection/');
    // The service's functions; the team's are the team's to alarm on (docs/integration.md).
    const watched = grown.ofType('AWS::Lambda::Function').map((f) => f.path).filter((p) => p.startsWith('Auth/') && !deployTime(p));
    expect(watched.length).toBe(view.ofType('AWS::Lambda::Function').length - 2 + EXTRA_ROUTES);
    expect(throttled.sort()).toEqual(watched.sort());
    const rated = alarms
      .filter((a) => a.path.startsWith('Auth/Alarms/FunctionErrors'))
      .flatMap((a) => a.props.Metrics.filter((m: any) => m.MetricStat?.Metric.MetricName === 'Errors').map((m: any) => grown.resolve(m.MetricStat.Metric.Dimensions[0].Value)));
    for (let n = 1; n <= EXTRA_ROUTES; n++) expect(rated).toContain(watched.find((p) => p.includes(`/Extra${n}/`)));
  });
});
