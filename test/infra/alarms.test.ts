import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_RATE_PERCENT, MAX_METRICS_PER_ALARM, SES_BOUNCE_RATE_ALARM, SES_COMPLAINT_RATE_ALARM } from '../../infra/alarms';
import { pascalCase } from '../../infra/names';
import { mailer, mailFeedback, routes } from '../../shared/routes';
import { synthesize } from './support/synth';
import { TemplateView } from './support/template';

let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

/** The stack and stage dimensions every custom metric of this stack carries (sorted as CDK renders them). */
const STACK_AND_STAGE = [
  { Name: 'stack', Value: 'ServerlessAuth-dev' },
  { Name: 'stage', Value: 'dev' },
];

const alarm = (name: string) => {
  const match = view.ofType('AWS::CloudWatch::Alarm').find((a) => a.path === `Alarms/${name}`);
  if (!match) throw new Error(`no alarm ${name}`);
  return match.props;
};

describe('alarms', () => {
  it('every alarm notifies the alarm topic when it fires and when it clears', () => {
    // Act
    const alarms = view.ofType('AWS::CloudWatch::Alarm');

    // Assess
    expect(alarms.length).toBeGreaterThan(0);
    for (const { props } of alarms) {
      expect(props.AlarmActions.map((a: unknown) => view.resolve(a))).toEqual(['Alarms/Topic']);
      expect(props.OKActions.map((a: unknown) => view.resolve(a))).toEqual(['Alarms/Topic']);
    }
    // Missing data is no trouble, except for the dead letters: SQS stops publishing for an idle queue.
    const deadLetterAlarms = ['Alarms/MailerDeadLetters', 'Alarms/LifecycleDeadLetters'];
    const missingData = Object.fromEntries(alarms.map((a) => [a.path, a.props.TreatMissingData]));
    expect(new Set(Object.entries(missingData).filter(([path]) => !deadLetterAlarms.includes(path)).map(([, value]) => value))).toEqual(new Set(['notBreaching']));
    for (const path of deadLetterAlarms) expect(missingData[path]).toBe('ignore');
  });

  it('fire on 5xx answers of this stage only (ApiName and Stage dimensions)', () => {
    // Act
    const api5xx = alarm('Api5xx');

    // Assess
    expect(api5xx).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Sum', Threshold: 5 });
    const dimensions = Object.fromEntries(api5xx.Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, view.resolve(d.Value)]));
    expect(dimensions).toEqual({ ApiName: 'ServerlessAuth-dev', Stage: 'Http/Api/DeploymentStage.dev' });
  });

  it('are named after the stack, so the topic policy can name them', () => {
    // Act
    const names = view.ofType('AWS::CloudWatch::Alarm').map((a) => a.props.AlarmName as string);

    // Assess
    for (const name of names) expect(name).toMatch(/^ServerlessAuth-dev-\w+$/);
  });

  it('fire when the authorizer fails, counted from AUTHORIZER_FAILURE in the access log (a thrown "Unauthorized" is a 401, not a failure)', () => {
    // Act
    const [filter] = view.ofType('AWS::Logs::MetricFilter');
    const failures = alarm('AuthorizerFailures');

    // Assess
    expect(view.resolve(filter!.props.LogGroupName)).toBe('Http/AccessLogs');
    expect(filter!.props.FilterPattern).toContain('$.errorType = "AUTHORIZER_FAILURE"');
    expect(filter!.props.FilterPattern).toContain('$.errorType = "AUTHORIZER_CONFIGURATION_ERROR"');
    expect(filter!.props.MetricTransformations[0]).toMatchObject({
      MetricNamespace: 'ServerlessAuth',
      MetricName: 'AuthorizerFailures',
      Dimensions: [
        { Key: 'stage', Value: '$.stage' },
        { Key: 'stack', Value: '$.stack' },
      ],
    });
    expect(failures).toMatchObject({ Namespace: 'ServerlessAuth', MetricName: 'AuthorizerFailures', Dimensions: STACK_AND_STAGE, Threshold: 1 });
    const stage = view.ofType('AWS::ApiGateway::Stage')[0]!;
    expect(JSON.parse(stage.props.AccessLogSetting.Format)).toMatchObject({ stack: 'ServerlessAuth-dev' });
  });

  it.each([...routes.map((r) => r.functionName), mailer.functionName, mailFeedback.functionName])(
    'fire when function %s keeps failing: its error rate over several periods, not a single transient error',
    (name) => {
      // Prepare
      const fnPath = view.lambda(name).path;

      // Act: the grouped alarm that reads this function's errors and invocations.
      const watching = view
        .ofType('AWS::CloudWatch::Alarm')
        .filter((a) => a.path.startsWith('Alarms/FunctionErrors'))
        .filter((a) => (a.props.Metrics as any[]).some((m) => m.MetricStat && view.resolve(m.MetricStat.Metric.Dimensions[0].Value) === fnPath));

      // Assess
      expect(watching).toHaveLength(1);
      const errors = watching[0]!.props;
      expect(errors).toMatchObject({ Threshold: ERROR_RATE_PERCENT, EvaluationPeriods: 3, DatapointsToAlarm: 2, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      const ids = Object.fromEntries(
        errors.Metrics.filter((m: any) => m.MetricStat && view.resolve(m.MetricStat.Metric.Dimensions[0].Value) === fnPath).map((m: any) => [m.MetricStat.Metric.MetricName, m.Id]),
      );
      expect(Object.keys(ids).sort()).toEqual(['Errors', 'Invocations']);
      const expression = errors.Metrics.find((m: any) => m.Expression).Expression as string;
      expect(expression).toMatch(/^MAX\(\[/);
      expect(expression).toContain(`IF(${ids.Invocations} > 0, 100 * ${ids.Errors} / ${ids.Invocations}, 0)`);
      expect(errors.Metrics.filter((m: any) => m.MetricStat).length).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
    },
  );

  it('fire on any failure of the key manager: one run an hour, each one needed', () => {
    // Act
    const errors = alarm('KeyManagerErrors');

    // Assess
    expect(errors).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 1 });
  });

  it('fire when the key manager refused to remake a refresh or MFA key, and when SES refused a mail for good', () => {
    // Act
    const refused = alarm('KeyReplacementRefused');
    const rejected = alarm('MailRejected');

    // Assess
    const dimensions = [{ Name: 'service', Value: 'serverless-auth' }, ...STACK_AND_STAGE];
    expect(refused).toMatchObject({ Namespace: 'ServerlessAuth', MetricName: 'KeyReplacementRefused', Threshold: 1 });
    expect(rejected).toMatchObject({ Namespace: 'ServerlessAuth', MetricName: 'MailRejected', Threshold: 1 });
    for (const { Dimensions } of [refused, rejected]) expect([...Dimensions].sort((a: any, b: any) => a.Name.localeCompare(b.Name))).toEqual(dimensions);
  });

  it("fire on the account's SES bounce and complaint rates well before SES reviews the account (5 %, 0.1 %)", () => {
    // Act
    const bounces = alarm('SesBounceRate');
    const complaints = alarm('SesComplaintRate');

    // Assess
    expect(bounces).toMatchObject({ Namespace: 'AWS/SES', MetricName: 'Reputation.BounceRate', Threshold: SES_BOUNCE_RATE_ALARM });
    expect(complaints).toMatchObject({ Namespace: 'AWS/SES', MetricName: 'Reputation.ComplaintRate', Threshold: SES_COMPLAINT_RATE_ALARM });
    expect(SES_BOUNCE_RATE_ALARM).toBeLessThan(0.05);
    expect(SES_COMPLAINT_RATE_ALARM).toBeLessThan(0.001);
  });

  it('fire when any function or the table is throttled', () => {
    // Act
    // One alarm, or one per group of at most MAX_METRICS_PER_ALARM functions (LambdaThrottles1, 2, ...).
    const lambdaThrottles = view.ofType('AWS::CloudWatch::Alarm').filter((a) => /^Alarms\/LambdaThrottles\d*$/.test(a.path));
    const tableThrottles = alarm('DynamoDbThrottles');

    // Assess
    for (const { props } of lambdaThrottles) {
      expect(props.Metrics.filter((m: any) => m.MetricStat).length).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
    }
    const throttleMetrics = lambdaThrottles.flatMap(({ props }) => props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric));
    expect(new Set(throttleMetrics.map((m: any) => m.MetricName))).toEqual(new Set(['Throttles']));
    const throttledFunctions = throttleMetrics.map((m: any) => view.resolve(m.Dimensions[0].Value)).sort();
    // All but the deploy-time setters (the account's API Gateway logging role, the table's deletion protection).
    const everyFunction = view.ofType('AWS::Lambda::Function').map((f) => f.path).filter((p) => !p.startsWith('ApiGatewayCloudWatchRole/') && !p.startsWith('TableProtection/')).sort();
    expect(throttledFunctions).toEqual(everyFunction);
    const tableMetrics = tableThrottles.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
    expect(new Set(tableMetrics.map((m: any) => m.MetricName))).toEqual(new Set(['ThrottledRequests']));
  });

  it.each([
    ['refresh-token reuse', 'RefreshTokenReuse'],
    ['the global mail cap holding back a mail', 'MailGlobalCapReached'],
  ])('fire on %s in this stage, a metric the core publishes with Powertools', (_case, metric) => {
    // Act
    const fired = alarm(metric);

    // Assess
    expect(fired).toMatchObject({
      Namespace: 'ServerlessAuth',
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: 'serverless-auth' }, ...STACK_AND_STAGE],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe('alarm topic', () => {
  it('refuses publishers that do not use TLS', () => {
    // Act
    const [policy] = view.ofType('AWS::SNS::TopicPolicy');

    // Assess
    expect(policy!.props.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it("lets CloudWatch publish, but only for this account's alarms of this stack", () => {
    // Act
    const [policy] = view.ofType('AWS::SNS::TopicPolicy');

    // Assess
    const allow = (policy!.props.PolicyDocument.Statement as Array<Record<string, any>>).find((s) => s.Effect === 'Allow');
    expect(allow).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' });
    expect(view.resolve(allow!.Resource)).toBe('Alarms/Topic');
    expect(view.resolve(allow!.Condition.StringEquals['aws:SourceAccount'])).toBe('${AWS::AccountId}');
    expect(view.resolve(allow!.Condition.ArnLike['aws:SourceArn'])).toBe('arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:ServerlessAuth-dev-*');
  });

  it('mails the alarmEmail address when one is configured', () => {
    // Act
    const { template } = synthesize({ alarmEmail: 'ops@example.com' });

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('has no subscription by default', () => {
    // Act
    const subscriptions = view.ofType('AWS::SNS::Subscription');

    // Assess
    expect(subscriptions).toEqual([]);
  });
});
