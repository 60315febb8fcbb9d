import { beforeAll, describe, expect, it } from 'vitest';
import { MAILER_MAX_RECORD_AGE, MAILER_RETRY_ATTEMPTS } from '../../infra/serverless-auth';
import { intentStreamFilter } from '../../shared/outbox';
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

  it('delivers at least once: partial batch failures, bisection, bounded retries and age, then the dead-letter queue', () => {
    // Act
    const mapping = eventSource();

    // Assess
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.BisectBatchOnFunctionError).toBe(true);
    expect(mapping.MaximumRetryAttempts).toBe(MAILER_RETRY_ATTEMPTS);
    expect(mapping.MaximumRecordAgeInSeconds).toBe(MAILER_MAX_RECORD_AGE.toSeconds());
    expect(view.resolve(mapping.DestinationConfig.OnFailure.Destination)).toBe('MailerDeadLetters.Arn');
  });

  it('keeps the dead letters encrypted, reachable over TLS only, for 14 days', () => {
    // Act
    const [queue, ...others] = view.ofType('AWS::SQS::Queue').filter((q) => q.path.startsWith('MailerDeadLetters'));
    const [policy] = view.ofType('AWS::SQS::QueuePolicy').filter((p) => p.path.startsWith('MailerDeadLetters'));

    // Assess
    expect(others).toEqual([]);
    expect(queue!.props).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    expect(policy!.props.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('alarms on the first dead letter', () => {
    // Act
    const alarm = view.ofType('AWS::CloudWatch::Alarm').find((a) => a.path === 'Alarms/MailerDeadLetters')!.props;

    // Assess
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(view.resolve(alarm.Dimensions[0].Value)).toBe('MailerDeadLetters.QueueName');
    expect(alarm.AlarmActions.map((a: unknown) => view.resolve(a))).toEqual(['Alarms/Topic']);
  });
});
