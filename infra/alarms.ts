import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../shared/observability';
import { pascalCase } from './names';
import type { ServiceFunction } from './service-function';

/**
 * Namespace and dimensions the core publishes its metrics under (shared/observability.ts): the
 * stage and the stack's name are dimensions, so stages sharing an account, and the service's
 * stack and a team's stack of one stage, never feed each other's alarms.
 */
export function serviceMetrics(stageName: string, stackName: string) {
  return { namespace: METRICS_NAMESPACE, dimensionsMap: { service: SERVICE_NAME, stage: stageName, stack: stackName } };
}

/**
 * A function's errors alarm on their share of its invocations, in at least 2 of 3 five-minute
 * periods: a single transient error (a Lambda restart, one SDK timeout) pages nobody, a function
 * that keeps failing for ten minutes does. Functions listed in `everyFailureMatters` (the key
 * manager: one run an hour, each one needed) alarm on any error instead.
 */
export const ERROR_RATE_PERCENT = 5;
export const ERROR_RATE_PERIODS = { evaluationPeriods: 3, datapointsToAlarm: 2 } as const;
/** The mailer is behind when its oldest unread stream record is older than this. */
export const MAILER_ITERATOR_AGE_ALARM = Duration.minutes(10);
/**
 * SES reviews an account at about 5 % bounces or 0.1 % complaints and may pause it at twice
 * that: the alarms fire at half the review thresholds, with time to act.
 */
export const SES_BOUNCE_RATE_ALARM = 0.025;
export const SES_COMPLAINT_RATE_ALARM = 0.0005;

/** CloudWatch's limit on the metrics one alarm may combine in a math expression. */
export const MAX_METRICS_PER_ALARM = 10;
/** Each function's error rate reads two metrics (errors and invocations). */
export const FUNCTIONS_PER_ERROR_ALARM = MAX_METRICS_PER_ALARM / 2;

export interface AlarmsProps {
  stage: apigateway.Stage;
  accessLogs: logs.ILogGroup;
  stageName: string;
  /** Every function of the stack except the authorizer, by name. */
  functions: ReadonlyMap<string, ServiceFunction>;
  authorizer: ServiceFunction;
  table: dynamodb.ITable;
  /** Where mail intents end up after the mailer gave up on them. */
  mailerDeadLetters: sqs.IQueue;
  /** Where lifecycle stream records end up after the publisher gave up on them. */
  lifecycleDeadLetters?: sqs.IQueue;
  /** The function that reads the outbox stream (its IteratorAge says how far behind mail is). */
  mailer: ServiceFunction;
  /** Functions whose every failure alarms (not a rate): each run of them matters. */
  everyFailureMatters: ReadonlySet<string>;
  alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}

/**
 * Alarms on what a user would notice or an operator must act on, all notifying one SNS topic:
 * API 5xx, authorizer failures, function errors, throttling (Lambda and DynamoDB), and
 * refresh-token reuse (a stolen token was presented; the session was revoked). Alarms are
 * derived from the functions given, one per function or per group of at most
 * MAX_METRICS_PER_ALARM, so a new function needs no change here. Every alarm is named
 * `<stack name>-<alarm>`: the topic lets exactly those alarms publish.
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const alarmNamePrefix = `${stack.stackName}-`;

    this.topic = new sns.Topic(this, 'Topic', { displayName: `serverless-auth ${props.stageName} alarms`, enforceSSL: true });
    // A topic policy replaces SNS's default one, so CloudWatch needs its own allow: only for this
    // account's alarms of this stack.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${alarmNamePrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    // Not encrypted with KMS: notifications carry alarm names and metric values only, and
    // CloudWatch cannot publish to a topic under the AWS-managed SNS key (a customer key costs monthly).
    const notify = new actions.SnsAction(this.topic);
    type AlarmOptions = Partial<Pick<cloudwatch.AlarmProps, 'evaluationPeriods' | 'datapointsToAlarm' | 'treatMissingData'>>;
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string, options: AlarmOptions = {}) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${alarmNamePrefix}${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      return created;
    };

    // The stage's own metrics (ApiName and Stage dimensions), not every stage of an API by that name.
    alarm('Api5xx', props.stage.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 5, 'The API answered 5xx at least 5 times in 5 minutes');

    // The authorizer's Lambda "Errors" count every rejected token (API Gateway wants a thrown
    // "Unauthorized" for a 401), so they cannot tell failures apart. API Gateway can: it logs
    // AUTHORIZER_FAILURE / AUTHORIZER_CONFIGURATION_ERROR when the authorizer crashed or timed out.
    const { namespace, dimensionsMap } = serviceMetrics(props.stageName, stack.stackName);
    new logs.MetricFilter(this, 'AuthorizerFailuresFilter', {
      logGroup: props.accessLogs,
      filterPattern: logs.FilterPattern.any(
        logs.FilterPattern.stringValue('$.errorType', '=', 'AUTHORIZER_FAILURE'),
        logs.FilterPattern.stringValue('$.errorType', '=', 'AUTHORIZER_CONFIGURATION_ERROR'),
      ),
      metricNamespace: namespace,
      metricName: 'AuthorizerFailures',
      // Filter dimensions come from the log line: the access log records the stage and the stack.
      dimensions: { stage: '$.stage', stack: '$.stack' },
      metricValue: '1',
    });
    alarm(
      'AuthorizerFailures',
      new cloudwatch.Metric({ namespace, metricName: 'AuthorizerFailures', dimensionsMap: { stage: props.stageName, stack: stack.stackName }, period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The authorizer failed (crash, timeout or bad policy): callers got 503 instead of 200 or 401',
    );

    // Error rates in groups: one alarm per function would cost a CloudFormation resource each, and
    // the stack must stay well under CloudFormation's 500 resources with the team's routes added.
    // Each function's rate takes two metrics (errors, invocations), so a group holds
    // MAX_METRICS_PER_ALARM / 2 functions and fires on the highest rate among them.
    const rated = [...props.functions].filter(([name]) => !props.everyFailureMatters.has(name));
    for (const [name, fn] of props.functions) {
      if (props.everyFailureMatters.has(name)) {
        alarm(`${pascalCase(name)}Errors`, fn.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `Function ${name} failed (uncaught error or timeout)`);
      }
    }
    const rateGroups = chunks(rated, FUNCTIONS_PER_ERROR_ALARM);
    rateGroups.forEach((group, groupIndex) => {
      const names = group.map(([name]) => name);
      alarm(
        rateGroups.length === 1 ? 'FunctionErrors' : `FunctionErrors${groupIndex + 1}`,
        new cloudwatch.MathExpression({
          label: `The highest error rate in % of ${names.join(', ')}`,
          expression: `MAX([${group.map((_, index) => `IF(i${index} > 0, 100 * e${index} / i${index}, 0)`).join(', ')}])`,
          usingMetrics: Object.fromEntries(
            group.flatMap(([, fn], index) => [
              [`e${index}`, fn.function.metricErrors({ statistic: 'Sum' })],
              [`i${index}`, fn.function.metricInvocations({ statistic: 'Sum' })],
            ]),
          ),
          period: FIVE_MINUTES,
        }),
        ERROR_RATE_PERCENT,
        `One of ${names.join(', ')} failed (uncaught error or timeout) in at least ${ERROR_RATE_PERCENT} % of its invocations, in ${ERROR_RATE_PERIODS.datapointsToAlarm} of ${ERROR_RATE_PERIODS.evaluationPeriods} five-minute periods`,
        ERROR_RATE_PERIODS,
      );
    });

    // One alarm holds at most 10 metrics (CloudWatch's limit): the functions are split across
    // LambdaThrottles, LambdaThrottles2, ... in groups of that size.
    const allFunctions = [...props.functions.values(), props.authorizer];
    const groups = chunks(allFunctions, MAX_METRICS_PER_ALARM);
    groups.forEach((group, groupIndex) => {
      alarm(
        groups.length === 1 ? 'LambdaThrottles' : `LambdaThrottles${groupIndex + 1}`,
        new cloudwatch.MathExpression({
          label: `Throttled invocations of ${group.length} functions`,
          expression: group.map((_, index) => `t${index}`).join(' + '),
          usingMetrics: Object.fromEntries(group.map((fn, index) => [`t${index}`, fn.function.metricThrottles({ statistic: 'Sum' })])),
          period: FIVE_MINUTES,
        }),
        1,
        `A function was throttled (concurrency limit reached): ${group.map((fn) => fn.node.id).join(', ')}`,
      );
    });
    alarm(
      'DynamoDbThrottles',
      props.table.metricThrottledRequestsForOperations({
        operations: [
          dynamodb.Operation.GET_ITEM,
          dynamodb.Operation.PUT_ITEM,
          dynamodb.Operation.UPDATE_ITEM,
          dynamodb.Operation.DELETE_ITEM,
          dynamodb.Operation.QUERY,
          dynamodb.Operation.TRANSACT_WRITE_ITEMS,
        ],
        period: FIVE_MINUTES,
      }),
      1,
      'DynamoDB throttled requests of the table',
    );

    // Visible and in flight (an operator reading the queue), at their maximum; a missing point
    // keeps the state: SQS stops publishing for a queue nobody touches, and the alarm must not
    // return to OK while a message still waits. It clears on a datapoint of 0, once the queue is empty.
    const waitingDeadLetters = (queue: sqs.IQueue, label: string) =>
      new cloudwatch.MathExpression({
        label,
        expression: 'visible + inFlight',
        usingMetrics: {
          visible: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
          inFlight: queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum' }),
        },
        period: FIVE_MINUTES,
      });
    alarm(
      'MailerDeadLetters',
      waitingDeadLetters(props.mailerDeadLetters, 'Mail intents waiting in the dead-letter queue'),
      1,
      'A mail intent failed every retry for 6 hours and went to the dead-letter queue: a mail was not sent (replay it, docs/deploy.md)',
      { treatMissingData: cloudwatch.TreatMissingData.IGNORE },
    );
    alarm(
      'MailerIteratorAge',
      props.mailer.function.metric('IteratorAge', { period: FIVE_MINUTES, statistic: 'Maximum' }),
      MAILER_ITERATOR_AGE_ALARM.toMilliseconds(),
      `The mailer is more than ${MAILER_ITERATOR_AGE_ALARM.toMinutes()} minutes behind the outbox: mail is late (SES failing, or a shard held up by retries)`,
    );
    alarm(
      'MailRejected',
      new cloudwatch.Metric({ namespace, dimensionsMap, metricName: 'MailRejected', period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'SES refused a mail for good (MessageRejected, unverified MAIL FROM domain, ...): it was recorded on its intent and not sent',
    );
    // Account-wide SES metrics (no dimension): every stack of the account and Region alarms on them.
    alarm(
      'SesBounceRate',
      new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', period: Duration.hours(1), statistic: 'Maximum' }),
      SES_BOUNCE_RATE_ALARM,
      `The account's SES bounce rate reached ${SES_BOUNCE_RATE_ALARM * 100} %: SES reviews the account at 5 % and may pause sending`,
    );
    alarm(
      'SesComplaintRate',
      new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.ComplaintRate', period: Duration.hours(1), statistic: 'Maximum' }),
      SES_COMPLAINT_RATE_ALARM,
      `The account's SES complaint rate reached ${SES_COMPLAINT_RATE_ALARM * 100} %: SES reviews the account at 0.1 % and may pause sending`,
    );
    alarm(
      'KeyReplacementRefused',
      new cloudwatch.Metric({ namespace, dimensionsMap, metricName: 'KeyReplacementRefused', period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The key manager found the refresh or MFA key missing although one existed before, and refused to make a new one: restore the secret (docs/deploy.md)',
    );
    if (props.lifecycleDeadLetters) {
      // As the mailer's: in alarm while any record waits, visible or being read.
      alarm(
        'LifecycleDeadLetters',
        waitingDeadLetters(props.lifecycleDeadLetters, 'Lifecycle records waiting in the dead-letter queue'),
        1,
        'A lifecycle event failed every retry for 6 hours and went to the dead-letter queue: it was not published to the event bus',
        { treatMissingData: cloudwatch.TreatMissingData.IGNORE },
      );
    }
    alarm(
      'RefreshTokenReuse',
      new cloudwatch.Metric({ namespace, dimensionsMap, metricName: 'RefreshTokenReuse', period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'A refresh token was used twice outside the grace window: likely theft; the session was revoked',
    );
    alarm(
      'MailGlobalCapReached',
      new cloudwatch.Metric({ namespace, dimensionsMap, metricName: 'MailGlobalCapReached', period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The hourly cap on sign-up, reset and email-change mails was reached: such mails are not sent until the hour ends (a mail flood, or the cap is too low for real traffic)',
    );
  }
}
