import { beforeAll, describe, expect, it } from 'vitest';
import { MAILER_ITERATOR_AGE_ALARM } from '../../infra/alarms';
import { MAILER_MAX_RECORD_AGE } from '../../infra/serverless-auth';
import { INTENT_TTL_SECONDS, intentStreamFilter } from '../../shared/outbox';
import { synthesize } from './support/synth';
import { TemplateView } from './support/template';

let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

/** The mailer's event source (the lifecycle publisher has its own: test/infra/lifecycle.test.ts). */
const eventSource = () => {
  const mappings = view.ofType('AWS::Lambda::EventSourceMapping').filter((m) => JSON.stringify(m.props.FunctionName).includes('Mailer'));
  expect(mappings).toHaveLength(1);
  return mappings[0]!.props;
};

describe('the outbox', () => {
  it('gives the table a stream of new images', () => {
    // Act
    const [table] = view.ofType('AWS::DynamoDB::Table');

    // Assess
    expect(table!.props.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('feeds the mailer, and only the mailer, from the table stream, filtered to inserted intents', () => {
    // Act
    const mapping = eventSource();

    // Assess
    expect(view.resolve(mapping.FunctionName)).toBe(view.resolve({ Ref: view.lambda('mailer').id }));
    expect(view.resolve(mapping.EventSourceArn)).toBe('Data/Table.StreamArn');
    expect(mapping.StartingPosition).toBe('TRIM_HORIZON');
    expect(mapping.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([intentStreamFilter]);
  });

  it('delivers at least once: partial batch failures, bisection, retries until the record is 6 hours old (no count), then the dead-letter queue', () => {
    // Act
    const mapping = eventSource();

    // Assess
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.BisectBatchOnFunctionError).toBe(true);
    // -1: no retry count that a short SES throttle would use up in seconds; only the age bounds it.
    expect(mapping.MaximumRetryAttempts).toBe(-1);
    expect(mapping.MaximumRecordAgeInSeconds).toBe(6 * 3600);
    expect(MAILER_MAX_RECORD_AGE.toSeconds()).toBe(6 * 3600);
    expect(view.resolve(mapping.DestinationConfig.OnFailure.Destination)).toBe('MailerDeadLetters.Arn');
  });

  it('keeps the dead letters encrypted, reachable over TLS only, no longer than their intents exist to be replayed', () => {
    // Act
    const [queue, ...others] = view.ofType('AWS::SQS::Queue').filter((q) => q.path.startsWith('MailerDeadLetters'));
    const [policy] = view.ofType('AWS::SQS::QueuePolicy').filter((p) => p.path.startsWith('MailerDeadLetters'));
    const mapping = eventSource();

    // Assess
    expect(others).toEqual([]);
    expect(queue!.props).toMatchObject({ SqsManagedSseEnabled: true });
    // A record reaches the queue at most MaximumRecordAge after its intent was written.
    expect(queue!.props.MessageRetentionPeriod + mapping.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(INTENT_TTL_SECONDS);
    expect(queue!.props.MessageRetentionPeriod).toBeGreaterThanOrEqual(6 * 86_400);
    expect(policy!.props.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('alarms on the first dead letter, and stays in alarm while any message remains (visible or being read), even when SQS stops publishing', () => {
    // Act
    const alarm = view.ofType('AWS::CloudWatch::Alarm').find((a) => a.path === 'Alarms/MailerDeadLetters')!.props;

    // Assess
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'ignore' });
    const expression = alarm.Metrics.find((m: any) => m.Expression);
    expect(expression.Expression).toBe('visible + inFlight');
    const metrics = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.MetricStat.Metric.MetricName, m.MetricStat.Stat, view.resolve(m.MetricStat.Metric.Dimensions[0].Value)]);
    expect(metrics.sort()).toEqual([
      ['ApproximateNumberOfMessagesNotVisible', 'Maximum', 'MailerDeadLetters.QueueName'],
      ['ApproximateNumberOfMessagesVisible', 'Maximum', 'MailerDeadLetters.QueueName'],
    ]);
    expect(alarm.AlarmActions.map((a: unknown) => view.resolve(a))).toEqual(['Alarms/Topic']);
  });

  it('alarms when the mailer falls behind the stream (IteratorAge)', () => {
    // Act
    const alarm = view.ofType('AWS::CloudWatch::Alarm').find((a) => a.path === 'Alarms/MailerIteratorAge')!.props;

    // Assess
    expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Statistic: 'Maximum', Threshold: MAILER_ITERATOR_AGE_ALARM.toMilliseconds() });
    expect(view.resolve(alarm.Dimensions[0].Value)).toBe(view.resolve({ Ref: view.lambda('mailer').id }));
  });
});
