import { Annotations, CfnOutput, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import path from 'node:path';
import { intentStreamFilter } from '../shared/outbox';
import { ROLE_GATED_ROUTES_VARIABLE, roleListProblem, type RoleGatedRoute } from '../shared/roles';
import { lifecycleStreamFilters } from '../shared/lifecycle';
import { INTENT_TTL_SECONDS } from '../shared/outbox';
import { authorizer, FUNCTION_TIMEOUT_SECONDS, lifecyclePublisher, mailer, mailFeedback, routes as routeTable, type FunctionAccess, type Route } from '../shared/routes';
import { Alarms } from './alarms';
import { AuthApi } from './api';
import { ApiGatewayCloudWatchRole } from './api-gateway-account';
import { exampleValueProblems, functionEnvironment, senderIdentityOf, type StackConfig } from './config';
import { FunctionStacks, routeArea, WORKERS } from './function-stacks';
import { DataTable } from './data-table';
import { grantAccess, tableActions, type ServiceResources } from './grants';
import { IdentityProviders } from './identity-providers';
import { issuerOf, tokenIdentityEnvironment } from './issuer';
import { MailFeedback } from './mail-feedback';
import { pascalCase } from './names';
import { SenderIdentity } from './sender-identity';
import { ServiceFunction } from './service-function';
import { SigningKeys } from './signing-keys';
import { TableDeletionProtection } from './table-protection';
import { RateLimitWaf } from './waf';

/** Where functions/<name>/handler.ts live. */
const FUNCTIONS_DIR = path.join(import.meta.dirname, '..', 'functions');

/**
 * Memory for the functions that hash passwords (argon2id, m=19456 KiB: 19 MiB for the hash).
 * Measured by `npm run bench`: a cold login peaks at about 166 MiB RSS, and one hash takes about
 * 0.06 s of one core (0.1 × the first version's scrypt N=2^17, which needed 128 MiB and a full
 * vCPU at 1769 MB). Memory is no longer what limits the size; CPU is, and Lambda hands it out in
 * proportion to memory. At 1024 MB (about 0.6 vCPU) a hash takes about 0.1 s, under twice its
 * full-vCPU time, with six times the memory the function reaches; a full vCPU would only buy
 * back ~40 ms while billing the DynamoDB round trips at 1.7× the size.
 */
export const PASSWORD_HASHING_MEMORY_MB = 1024;
export const DEFAULT_MEMORY_MB = 256;
export const FUNCTION_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT_SECONDS);

/**
 * How the mailer reads the outbox stream. A failing record is retried (with the batch split in
 * halves to isolate it) until it is MAILER_MAX_RECORD_AGE old: no retry count, because stream
 * retries come at once, one after another, and a count would be used up by a short SES throttle
 * in seconds. Six hours ride out an SES throttle or outage. Permanent SES errors are never
 * retried (the mailer records them on the intent), so only a real outage holds up a shard. Then
 * the record's metadata goes to the dead-letter queue, which alarms, and the intent can be
 * replayed from there while it exists: the queue keeps a message no longer than the intent is
 * kept after the latest it can arrive.
 */
export const MAILER_BATCH_SIZE = 10;
export const MAILER_MAX_RECORD_AGE = Duration.hours(6);
export const MAILER_DEAD_LETTER_RETENTION = Duration.seconds(INTENT_TTL_SECONDS).minus(MAILER_MAX_RECORD_AGE);

export interface ServerlessAuthProps {
  /** The validated configuration: readStackConfig(app.node.getAllContext()). */
  config: StackConfig;
  /** The route table to build; shared/routes.ts unless a test passes a longer one. */
  routes?: readonly Route[];
  /** Where functions/<name>/handler.ts live; the repository's functions/ unless a test says otherwise. */
  functionsDir?: string;
}

/** A route of the team's own, behind the service's authorizer. */
export interface ProtectedRouteProps {
  /** The methods the service's CORS preflight allows (CORS_ALLOWED_METHODS). */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, e.g. `/orders` or `/orders/{id}` (a path parameter). */
  path: string;
  /** The team's function; it reads the caller with callerFrom(event). */
  handler: lambda.IFunction;
  /**
   * Item-level access to the service's table, on the table only (no index, no Scan or Query):
   * GetItem for 'read', plus Put/Update/Delete/ConditionCheck for 'readWrite'. Omitted: none.
   */
  tableAccess?: 'read' | 'readWrite';
  /**
   * Only callers whose access token holds one of these roles reach the route; anyone else gets
   * the service's 403 problem+json (Gateway Response ACCESS_DENIED) before the function runs.
   * Omitted: every signed-in caller. A `{param}` segment gates the paths below it too.
   */
  requiredRoles?: readonly string[];
}

/**
 * The whole authentication service as one construct, for the service's own stack (AuthStack) or
 * a stack of a team's app: the table, the signing keys, the mail sender and outbox, one function
 * per route of shared/routes.ts, the REST API with its REQUEST authorizer, WAF and alarms. The
 * functions live in nested stacks, one per area of the API (function-stacks.ts), so the stack
 * it is put in keeps room under CloudFormation's 500 resources for the team's own.
 *
 * `api`, `authorizer` and `table` are exposed so a team can serve routes of its own from the same
 * API behind the same authorizer: addProtectedRoute() does it with the service's conventions.
 */
export class ServerlessAuth extends Construct {
  /** The REST API; the team's routes go on it (addProtectedRoute). */
  readonly api: apigateway.RestApi;
  /** The REQUEST authorizer of the service's protected routes (pass it to addMethod with AuthorizationType.CUSTOM). */
  readonly authorizer: apigateway.RequestAuthorizer;
  /** The service's table (users, sessions, ...). */
  readonly table: dynamodb.ITable;
  /**
   * Lifecycle events (source `serverless-auth`; detail-types user.created, user.deleted,
   * email.changed, roles.changed, account.disabled, account.enabled), at least once, each with
   * an `id` in its detail for de-duplication. Add rules on it for the team's code.
   */
  readonly eventBus: events.EventBus;
  /** `iss` of the access tokens (the API's public base URL unless the `issuer` key sets one). */
  readonly issuer: string;
  private readonly authApi: AuthApi;
  /** The team's role-gated routes, handed to the authorizer at synth (ROLE_GATED_ROUTES). */
  private readonly gatedRoutes: RoleGatedRoute[] = [];

  constructor(scope: Construct, id: string, props: ServerlessAuthProps) {
    super(scope, id);
    const { config, routes = routeTable, functionsDir = FUNCTIONS_DIR } = props;
    const logRetention = config.logRetentionDays as RetentionDays;
    // In a team's app the values are the team's own code, not cdk.json's placeholders: a warning
    // that `cdk synth` prints (and `--strict` turns into a failure), where the service's app refuses.
    for (const problem of exampleValueProblems(config)) Annotations.of(this).addWarningV2('serverless-auth:example-value', problem);
    if (config.permissionsBoundary) {
      // Every role of the service (functions, deploy-time helpers) gets the account's boundary.
      const boundary = config.permissionsBoundary.startsWith('arn:')
        ? iam.ManagedPolicy.fromManagedPolicyArn(this, 'PermissionsBoundary', config.permissionsBoundary)
        : iam.ManagedPolicy.fromManagedPolicyName(this, 'PermissionsBoundary', config.permissionsBoundary);
      iam.PermissionsBoundary.of(this).apply(boundary);
    }

    const data = new DataTable(this, 'Data', { retainData: config.retainData, replicaRegions: config.replicaRegions });
    const keys = new SigningKeys(this, 'Keys', {
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      rotationDays: config.signingKeyRotationDays,
      logRetention,
      table: data.table,
      stage: config.stage,
      replicaRegions: config.replicaRegions,
    });
    const senderIdentity = senderIdentityOf(config);
    const sender = new SenderIdentity(this, 'Sender', {
      identity: senderIdentity,
      fromAddress: config.mailFrom.address,
      create: config.createSenderIdentity,
      sandboxRecipients: config.sesSandboxRecipients,
      mailFromDomain: config.mailFromDomain,
    });
    const mailSending = new MailFeedback(this, 'Ses');
    const identityProviders = new IdentityProviders(this, 'IdentityProviders', { providers: config.identityProviders, replicaRegions: config.replicaRegions });

    const resources: ServiceResources = {
      table: data.table,
      secrets: keys.secrets,
      mail: {
        identityArns: sender.identityArns,
        fromAddress: config.mailFrom.address,
        fromHeader: config.mailFrom.header,
        configurationSet: { name: mailSending.configurationSetName, arn: mailSending.configurationSetArn },
      },
      identityProviders: { environment: identityProviders.environment, clientSecretArns: identityProviders.clientSecretArns },
    };
    const environment = functionEnvironment(config, data.table.tableName, Stack.of(this).stackName);
    const cloudWatchRole = new ApiGatewayCloudWatchRole(this, 'ApiGatewayCloudWatchRole', { logRetention });
    // Each function in the nested stack of its area: see function-stacks.ts.
    const functionStacks = new FunctionStacks(this);
    const buildFunction = (name: string, access: FunctionAccess, area: string | undefined) => {
      const fn = new ServiceFunction(area === undefined ? this : functionStacks.of(area), pascalCase(name), {
        entry: path.join(functionsDir, name, 'handler.ts'),
        description: `serverless-auth ${name}`,
        memorySize: access.hashesPasswords ? PASSWORD_HASHING_MEMORY_MB : DEFAULT_MEMORY_MB,
        // Off unless the context key sets it: see passwordFunctionsReservedConcurrency in config.ts.
        reservedConcurrentExecutions: access.hashesPasswords ? config.passwordFunctionsReservedConcurrency : undefined,
        timeout: FUNCTION_TIMEOUT,
        environment,
        logRetention,
      });
      grantAccess(fn, access, resources);
      return fn;
    };
    // One function per functionName: a function may answer several routes (the provider callback's GET and POST).
    const routeFunctions = new Map<string, ReturnType<typeof buildFunction>>();
    for (const route of routes) {
      if (!routeFunctions.has(route.functionName)) routeFunctions.set(route.functionName, buildFunction(route.functionName, route.access, routeArea(route)));
    }
    // In the construct's own stack: the authorizer's invoke permission names the API's authorizer,
    // which names the function; from a nested stack that is a cycle between the two stacks
    // (aws/aws-cdk#20342).
    const authorizerFunction = buildFunction(authorizer.functionName, authorizer.access, undefined);
    // Read at synth, after every addProtectedRoute: the authorizer's policy names the routes a caller's roles do not reach.
    authorizerFunction.function.addEnvironment(ROLE_GATED_ROUTES_VARIABLE, Lazy.string({ produce: () => JSON.stringify(this.gatedRoutes) }));

    /**
     * A consumer of the table's stream, at least once: a failing record is retried (the batch split
     * in halves to isolate it) until it is MAILER_MAX_RECORD_AGE old, then its metadata goes to the
     * consumer's own dead-letter queue, which alarms.
     */
    const consumeStream = (fn: ServiceFunction, deadLettersId: string, filters: ReadonlyArray<Record<string, unknown>>, what: string, retention: Duration) => {
      const deadLetters = new sqs.Queue(this, deadLettersId, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: retention,
      });
      Validations.of(deadLetters).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself the dead-letter destination of the ${what} event source; nothing consumes it but an operator.`,
      });
      fn.function.addEventSource(
        new DynamoEventSource(data.table, {
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          batchSize: MAILER_BATCH_SIZE,
          filters: filters.map((filter) => lambda.FilterCriteria.filter(filter)),
          reportBatchItemFailures: true,
          bisectBatchOnError: true,
          // No retry count, only the age: see MAILER_MAX_RECORD_AGE.
          retryAttempts: -1,
          maxRecordAge: MAILER_MAX_RECORD_AGE,
          onFailure: new SqsDlq(deadLetters),
        }),
      );
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) and the event source\'s dynamodb:ListStreams have no resource-level permissions, so CDK grants them on "*". The stream reads themselves are on the table\'s stream ARN.',
      });
      return deadLetters;
    };

    // The outbox: the mailer is the only function that sends mail, fed by the table's stream.
    const mailerFunction = buildFunction(mailer.functionName, mailer.access, WORKERS);
    // SES refuses a send through a configuration set that does not exist yet.
    mailerFunction.function.node.addDependency(mailSending.configurationSet);
    const mailerDeadLetters = consumeStream(mailerFunction, 'MailerDeadLetters', [intentStreamFilter], 'mailer', MAILER_DEAD_LETTER_RETENTION);
    // SES's bounces and complaints, recorded on the suppression list the mailer checks.
    const mailFeedbackFunction = buildFunction(mailFeedback.functionName, mailFeedback.access, WORKERS);
    mailSending.deliverTo(mailFeedbackFunction);

    // Lifecycle events: a second consumer of the stream, publishing to the service's own bus only.
    const eventBus = new events.EventBus(this, 'EventBus');
    const lifecycleFunction = buildFunction(lifecyclePublisher.functionName, lifecyclePublisher.access, WORKERS);
    lifecycleFunction.function.addEnvironment('EVENT_BUS_NAME', eventBus.eventBusName);
    eventBus.grantPutEventsTo(lifecycleFunction.role);
    const lifecycleDeadLetters = consumeStream(lifecycleFunction, 'LifecycleDeadLetters', lifecycleStreamFilters, 'lifecycle', Duration.days(14));

    const api = new AuthApi(this, 'Http', {
      stageName: config.stage,
      routes,
      functions: routeFunctions,
      authorizer: authorizerFunction,
      authorizerCacheTtlSeconds: config.authorizerCacheTtlSeconds,
      allowedOrigins: config.allowedOrigins,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      logRetention,
      customDomain: config.apiDomainName && config.apiCertificateArn ? { domainName: config.apiDomainName, certificateArn: config.apiCertificateArn } : undefined,
    });
    // Every function signs or checks tokens against the same issuer, which names the API: set
    // once the API exists (see issuer.ts for why this is no dependency cycle).
    const tokenIdentity = tokenIdentityEnvironment(config, api.api);
    for (const fn of [...routeFunctions.values(), authorizerFunction]) {
      for (const [name, value] of Object.entries(tokenIdentity)) fn.function.addEnvironment(name, value);
    }
    // Outputs named for what they are (ApiUrl, not HttpApiUrl1A2B…), and RestApi's own Endpoint
    // output dropped: it only repeats ApiUrl.
    api.api.node.tryRemoveChild('Endpoint');
    for (const output of api.node.findAll()) if (output instanceof CfnOutput) output.overrideLogicalId(output.node.id);
    // No traffic before the keys exist: the stage goes live only after the key manager ran.
    api.api.deploymentStage.node.addDependency(keys.ready);
    // Access logging fails to create in an account without an API Gateway CloudWatch role.
    api.api.deploymentStage.node.addDependency(cloudWatchRole.setting);

    if (config.waf) {
      new RateLimitWaf(this, 'Waf', {
        stageArn: api.api.deploymentStage.stageArn,
        stageName: config.stage,
        limitPer5Minutes: config.wafRateLimit,
        refreshLimitPer5Minutes: config.wafRefreshRateLimit,
        logRetention,
      });
    } else {
      Validations.of(api.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'WAF turned off for this stage with the context flag waf=false (a dev stage); the per-account login lockout in code still applies.',
      });
    }

    const alarms = new Alarms(this, 'Alarms', {
      stage: api.api.deploymentStage,
      accessLogs: api.accessLogs,
      stageName: config.stage,
      functions: new Map([
        ...routeFunctions,
        [mailer.functionName, mailerFunction],
        [mailFeedback.functionName, mailFeedbackFunction],
        [lifecyclePublisher.functionName, lifecycleFunction],
        ['key-manager', keys.manager],
      ]),
      everyFailureMatters: new Set(['key-manager']),
      mailer: mailerFunction,
      mailerDeadLetters,
      lifecycleDeadLetters,
      authorizer: authorizerFunction,
      table: data.table,
      alarmEmail: config.alarmEmail,
    });

    if (config.retainData) {
      const protection = new TableDeletionProtection(this, 'TableProtection', { table: data.table, resource: data.resource, logRetention });
      // The construct's last step: a failure after it, and so a rollback with the table protected, is unlikely (and handled).
      protection.runAfter(...this.node.children.filter((child) => child !== protection));
    }

    this.authApi = api;
    this.api = api.api;
    this.authorizer = api.authorizer;
    this.table = data.table;
    this.eventBus = eventBus;
    this.issuer = issuerOf(config, api.api);

    new CfnOutput(this, 'Issuer', {
      description: 'iss of the access tokens; OIDC discovery at <Issuer>/.well-known/openid-configuration',
      value: this.issuer,
    });
    new CfnOutput(this, 'TableName', { value: data.table.tableName });
    new CfnOutput(this, 'EventBusName', { description: 'Lifecycle events (user.created, ...): add rules on this bus', value: eventBus.eventBusName });
    new CfnOutput(this, 'SenderIdentity', { description: 'SES identity mail is sent from (verify it before sign-ups work)', value: senderIdentity });
    new CfnOutput(this, 'KeyManagerFunction', { description: 'Invoke with {"action":"rotate"} to rotate the signing key now', value: keys.manager.function.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Subscribe to get the alarms', value: alarms.topic.topicArn });
  }

  /**
   * Serves `method path` from the team's own function, behind the same REQUEST authorizer as the
   * service's protected routes: a request without a valid access token of a live session gets the
   * service's 401 problem+json before the function runs, and the function reads the caller with
   * callerFrom(event). The path gets the service's CORS preflight; its replies must carry the
   * CORS headers themselves (corsHeaders of shared/http/cors.ts), as the service's do.
   */
  addProtectedRoute(route: ProtectedRouteProps): apigateway.Method {
    if (route.requiredRoles !== undefined) {
      const problem = roleListProblem(route.requiredRoles) ?? (route.requiredRoles.length ? undefined : 'must name at least one role');
      if (problem) throw new Error(`addProtectedRoute ${route.method} ${route.path}: requiredRoles ${problem}`);
      this.gatedRoutes.push({ method: route.method, path: route.path, requiredRoles: [...route.requiredRoles] });
    }
    if (route.tableAccess) {
      const actions = route.tableAccess === 'read' ? tableActions.read : [...tableActions.read, ...tableActions.write];
      route.handler.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [this.table.tableArn] }));
    }
    return this.authApi.addRoute(route.method, route.path, route.handler, 'protected');
  }
}
