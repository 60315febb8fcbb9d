import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from './support/synth';
import { TemplateView } from './support/template';

let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

const lifecycleSource = () => view.ofType('AWS::Lambda::EventSourceMapping').find((m) => JSON.stringify(m.props.FunctionName).includes('LifecycleEvents'))!.props;

describe('lifecycle events', () => {
  it('has a bus of its own, named in the outputs, that only the publisher may put events on', () => {
    expect(view.ofType('AWS::Events::EventBus')).toHaveLength(1);
    const puts = view.ofType('AWS::Lambda::Function').filter((fn) => view.statementsOf(fn).some((s) => s.actions.includes('events:PutEvents')));
    expect(puts.map((fn) => fn.path)).toEqual(['Workers/LifecycleEvents/Function']);
    expect(view.statementsOf(puts[0]!).find((s) => s.actions.includes('events:PutEvents'))!.resources).toEqual(['EventBus.Arn']);
    expect(Object.keys(view.template.findOutputs('*'))).toContain('EventBusName');
  });

  it('feeds the publisher from the table stream, filtered to user items and security events, at least once with a dead-letter queue', () => {
    const source = lifecycleSource();

    expect(source).toMatchObject({ StartingPosition: 'TRIM_HORIZON', FunctionResponseTypes: ['ReportBatchItemFailures'], BisectBatchOnFunctionError: true });
    const patterns = source.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    expect(patterns).toEqual([
      { eventName: ['INSERT', 'REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'USER#' }] }, sk: { S: ['USER'] } } } },
      { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'USER#' }] }, sk: { S: [{ prefix: 'EVT#' }] } } } },
    ]);
    expect(view.resolve(source.DestinationConfig.OnFailure.Destination)).toBe('LifecycleDeadLetters.Arn');
  });

  it('alarms when a lifecycle event lands in the dead-letter queue, and stays in alarm while any message remains (visible or being read)', () => {
    // Act
    const alarm = view.ofType('AWS::CloudWatch::Alarm').find((a) => a.path === 'Alarms/LifecycleDeadLetters')!.props;

    // Assess
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'ignore' });
    expect(alarm.Metrics.find((m: any) => m.Expression).Expression).toBe('visible + inFlight');
    const metrics = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.MetricStat.Metric.MetricName, view.resolve(m.MetricStat.Metric.Dimensions[0].Value)]);
    expect(metrics.sort()).toEqual([
      ['ApproximateNumberOfMessagesNotVisible', 'LifecycleDeadLetters.QueueName'],
      ['ApproximateNumberOfMessagesVisible', 'LifecycleDeadLetters.QueueName'],
    ]);
  });
});
