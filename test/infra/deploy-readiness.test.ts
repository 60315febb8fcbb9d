import { APIGatewayClient, BadRequestException, GetAccountCommand, UpdateAccountCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_METRICS_PER_ALARM } from '../../infra/alarms';
import { ensureCloudWatchRole } from '../../infra/api-gateway-account/handler';
import { authorizer, lifecyclePublisher, mailer, mailFeedback, routes, type Route } from '../../shared/routes';
import { realValues, synthesize } from './support/synth';
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

describe('a route table that grows', () => {
  /**
   * More routes, each with a function of its own, on top of today's table. Five: the stack holds
   * about 450 resources (function errors are alarmed in groups to keep it there), each route adds
   * about 9, and CloudFormation stops at 500 (docs/integration.md says so).
   */
  const EXTRA_ROUTES = 5;
  const longerTable: Route[] = [
    ...routes,
    ...Array.from({ length: EXTRA_ROUTES }, (_, index): Route => ({
      method: 'GET',
      path: `/extra/route-${index + 1}`,
      functionName: `extra-${index + 1}`,
      auth: 'protected',
      access: { table: ['read'], secrets: [], sendsMail: false, hashesPasswords: false },
    })),
  ];

  it('still synthesizes, with every alarm within CloudWatch limits and every function watched for errors and throttles', () => {
    // Prepare: a functions/ folder with an entry for each function (not bundled here, only
    // located; the CDK wants entries under the project root, so in the ignored cdk.out/)
    mkdirSync(path.join(REPO_ROOT, 'cdk.out'), { recursive: true });
    const functionsDir = mkdtempSync(path.join(REPO_ROOT, 'cdk.out', 'functions-'));
    for (const name of [...longerTable.map((r) => r.functionName), authorizer.functionName, mailer.functionName, mailFeedback.functionName, lifecyclePublisher.functionName]) {
      mkdirSync(path.join(functionsDir, name));
      writeFileSync(path.join(functionsDir, name, 'handler.ts'), 'export const handler = async () => ({ statusCode: 200 });\n');
    }

    // Act
    const grown = new TemplateView(synthesize({}, { routes: longerTable, functionsDir }).template);
    rmSync(functionsDir, { recursive: true, force: true });

    // Assess
    const alarms = grown.ofType('AWS::CloudWatch::Alarm');
    for (const { props } of alarms) {
      expect((props.Metrics ?? []).filter((m: any) => m.MetricStat).length).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
      expect((props.AlarmName as string).length).toBeLessThanOrEqual(255);
    }
    const throttled = alarms
      .filter((a) => a.path.startsWith('Alarms/LambdaThrottles'))
      .flatMap((a) => a.props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => grown.resolve(m.MetricStat.Metric.Dimensions[0].Value)));
    const deployTime = (p: string) => p.startsWith('ApiGatewayCloudWatchRole/') || p.startsWith('TableProtection/');
    const watched = grown.ofType('AWS::Lambda::Function').map((f) => f.path).filter((p) => !deployTime(p));
    expect(watched.length).toBe(view.ofType('AWS::Lambda::Function').length - 2 + EXTRA_ROUTES);
    expect(throttled.sort()).toEqual(watched.sort());
    const rated = alarms
      .filter((a) => a.path.startsWith('Alarms/FunctionErrors'))
      .flatMap((a) => a.props.Metrics.filter((m: any) => m.MetricStat?.Metric.MetricName === 'Errors').map((m: any) => grown.resolve(m.MetricStat.Metric.Dimensions[0].Value)));
    for (let n = 1; n <= EXTRA_ROUTES; n++) expect(rated).toContain(watched.find((p) => p.startsWith(`Extra${n}/`)));
  });
});
