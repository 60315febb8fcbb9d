import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { pascalCase } from './names';
import type { ServiceFunction } from './service-function';

/** Namespace and dimension the core publishes its security metrics under (shared/observability.ts). */
export const SERVICE_METRICS = { namespace: 'ServerlessAuth', dimensions: { service: 'serverless-auth' } } as const;

export interface AlarmsProps {
  api: apigateway.RestApi;
  accessLogs: logs.ILogGroup;
  stageName: string;
  /** Every function of the stack except the authorizer, by name. */
  functions: ReadonlyMap<string, ServiceFunction>;
  authorizer: ServiceFunction;
  table: dynamodb.ITable;
  /** Where mail intents end up after the mailer gave up on them. */
  mailerDeadLetters: sqs.IQueue;
  alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Alarms on what a user would notice or an operator must act on, all notifying one SNS topic:
 * API 5xx, authorizer failures, function errors, throttling (Lambda and DynamoDB), and
 * refresh-token reuse (a stolen token was presented; the session was revoked).
 */
/** CloudWatch refuses an alarm on a math expression over more than 10 metrics. */
const MAX_METRICS_PER_ALARM = 10;

export class Alarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'Topic', { displayName: `serverless-auth ${props.stageName} alarms`, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    // Not encrypted with KMS: notifications carry alarm names and metric values only, and
    // CloudWatch cannot publish to a topic under the AWS-managed SNS key (a customer key costs monthly).
    const notify = new actions.SnsAction(this.topic);
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      return created;
    };

    alarm('Api5xx', props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 5, 'The API answered 5xx at least 5 times in 5 minutes');

    // The authorizer's Lambda "Errors" count every rejected token (API Gateway wants a thrown
    // "Unauthorized" for a 401), so they cannot tell failures apart. API Gateway can: it logs
    // AUTHORIZER_FAILURE / AUTHORIZER_CONFIGURATION_ERROR when the authorizer crashed or timed out.
    const authorizerFailures = new logs.MetricFilter(this, 'AuthorizerFailuresFilter', {
      logGroup: props.accessLogs,
      filterPattern: logs.FilterPattern.any(
        logs.FilterPattern.stringValue('$.errorType', '=', 'AUTHORIZER_FAILURE'),
        logs.FilterPattern.stringValue('$.errorType', '=', 'AUTHORIZER_CONFIGURATION_ERROR'),
      ),
      metricNamespace: SERVICE_METRICS.namespace,
      metricName: `AuthorizerFailures-${props.stageName}`,
      metricValue: '1',
    });
    alarm('AuthorizerFailures', authorizerFailures.metric({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'The authorizer failed (crash, timeout or bad policy): callers got 500 instead of 200 or 401');

    for (const [name, fn] of props.functions) {
      alarm(`${pascalCase(name)}Errors`, fn.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `Function ${name} failed (uncaught error or timeout)`);
    }

    // One alarm holds at most 10 metrics (CloudWatch's limit): the functions are split across
    // LambdaThrottles, LambdaThrottles2, ... in groups of that size.
    const allFunctions = [...props.functions.values(), props.authorizer];
    for (let first = 0; first < allFunctions.length; first += MAX_METRICS_PER_ALARM) {
      const group = allFunctions.slice(first, first + MAX_METRICS_PER_ALARM);
      const groupNumber = first / MAX_METRICS_PER_ALARM + 1;
      alarm(
        groupNumber === 1 ? 'LambdaThrottles' : `LambdaThrottles${groupNumber}`,
        new cloudwatch.MathExpression({
          label: 'Throttled invocations of these functions',
          expression: group.map((_, index) => `t${index}`).join(' + '),
          usingMetrics: Object.fromEntries(group.map((fn, index) => [`t${index}`, fn.function.metricThrottles({ statistic: 'Sum' })])),
          period: FIVE_MINUTES,
        }),
        1,
        'A function was throttled (concurrency limit reached)',
      );
    }
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

    alarm(
      'MailerDeadLetters',
      props.mailerDeadLetters.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      1,
      'A mail intent failed every retry and went to the dead-letter queue: a mail was not sent',
    );
    alarm(
      'RefreshTokenReuse',
      new cloudwatch.Metric({ ...SERVICE_METRICS, metricName: 'RefreshTokenReuse', period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'A refresh token was used twice outside the grace window: likely theft; the session was revoked',
    );
  }
}
