import { ArnFormat, Aws, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { problemBody } from '../shared/errors';

export interface RateLimitWafProps {
  /** ARN of the API stage to protect. */
  stageArn: string;
  stageName: string;
  /** Requests per client IP per 5 minutes to /auth/* (but refresh) before the IP is blocked for a while. */
  limitPer5Minutes: number;
  /** Requests per client IP per 5 minutes to /auth/refresh, which every signed-in tab calls. */
  refreshLimitPer5Minutes: number;
  logRetention: logs.RetentionDays;
}

/**
 * Managed rules that would block legitimate requests to this API, overridden to count (they still
 * show in metrics and logs). For the whole API, not only the password routes: scoping them down
 * would mean each group twice (once per scope), and the common rule set alone costs 700 of the
 * 1,500 WCU a web ACL includes. The API's bodies are small JSON that the functions validate, and
 * only the password routes take free text, so little is lost.
 * - The body rules match what a strong password may contain: `<script>1234` (CrossSiteScripting),
 *   `../../etc/passwd` (GenericLFI), `http://x/y` (GenericRFI), `169.254.169.254` (EC2MetaDataSSRF),
 *   `${jndi:...}` (Log4JRCE), `rO0AB...` (JavaDeserializationRCE). Passwords are only ever hashed.
 * - SizeRestrictions_BODY (8 KB): the functions refuse oversize bodies themselves, as problem+json.
 * - NoUserAgent_HEADER: API clients (curl scripts, SDKs, server-side callers) need not send one.
 */
export const countedManagedRules = {
  AWSManagedRulesCommonRuleSet: [
    'CrossSiteScripting_BODY',
    'SizeRestrictions_BODY',
    'GenericLFI_BODY',
    'GenericRFI_BODY',
    'EC2MetaDataSSRF_BODY',
    'NoUserAgent_HEADER',
  ],
  AWSManagedRulesKnownBadInputsRuleSet: ['Log4JRCE_BODY', 'JavaDeserializationRCE_BODY'],
  AWSManagedRulesAmazonIpReputationList: [],
} as const;

/** WAF's rate rules count over this window; a blocked client may try again after it. */
export const WAF_RATE_WINDOW_SECONDS = 300;
/** The key of the rate rules' custom response body. */
const RATE_LIMITED_BODY = 'rate-limited';

/**
 * A regional web ACL on the API stage: per-IP rate limits on /auth/* (sign-up, login, ...), the
 * endpoints worth hammering, then AWS's IP reputation list, common rule set and known bad inputs
 * (minus the rules above). /auth/refresh has a rate rule of its own with a higher limit: every
 * signed-in tab refreshes every few minutes, so a few hundred users behind one office NAT would
 * otherwise lock each other out of signing in. A rate block answers 429 with Retry-After and the
 * API's problem+json; any other block is WAF's 403 (the WAF_FILTERED gateway response). The rate
 * limits complement the login throttle in code: one IP can no longer spray passwords across many
 * accounts. Names and metrics carry the stack name, so two stacks in one account stay apart.
 * Logs go to CloudWatch without the Authorization and Cookie headers, and are kept when the
 * stack is deleted.
 */
export class RateLimitWaf extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RateLimitWafProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;

    // Through the execute-api host the path starts with the stage; through a custom domain it does not.
    const stagePrefixes = [`/${props.stageName}`, ''];
    // Decode and lower-case first, so /AUTH/ or %2Fauth%2F cannot slip past a rule.
    const textTransformations = [
      { priority: 0, type: 'URL_DECODE' },
      { priority: 1, type: 'LOWERCASE' },
    ];
    const pathMatch = (positionalConstraint: 'STARTS_WITH' | 'EXACTLY', searchString: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint, searchString, textTransformations },
    });
    const anyOf = (statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty => ({ orStatement: { statements } });
    const authPaths = anyOf(stagePrefixes.map((prefix) => pathMatch('STARTS_WITH', `${prefix}/auth/`)));
    const refreshPaths = anyOf(stagePrefixes.map((prefix) => pathMatch('EXACTLY', `${prefix}/auth/refresh`)));
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${stackName}-${name}`,
      sampledRequestsEnabled: true,
    });
    const rateRule = (name: string, priority: number, limit: number, scopeDownStatement: wafv2.CfnWebACL.StatementProperty): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: {
        block: {
          customResponse: {
            responseCode: 429,
            customResponseBodyKey: RATE_LIMITED_BODY,
            responseHeaders: [{ name: 'Retry-After', value: String(WAF_RATE_WINDOW_SECONDS) }],
          },
        },
      },
      statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit, evaluationWindowSec: WAF_RATE_WINDOW_SECONDS, scopeDownStatement } },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: stackName,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('web-acl'),
      customResponseBodies: {
        [RATE_LIMITED_BODY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify(problemBody('rate_limited', { detail: `Too many requests from this address; try again in ${WAF_RATE_WINDOW_SECONDS} seconds.` })),
        },
      },
      rules: [
        rateRule('auth-rate-limit-per-ip', 0, props.limitPer5Minutes, { andStatement: { statements: [authPaths, { notStatement: { statement: refreshPaths } }] } }),
        rateRule('refresh-rate-limit-per-ip', 1, props.refreshLimitPer5Minutes, refreshPaths),
        // Reputation first: it is the cheapest and blocks known-bad sources before any inspection.
        ...(['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const).map(
          (name, index): wafv2.CfnWebACL.RuleProperty => ({
            name,
            priority: index + 2,
            overrideAction: { none: {} },
            statement: {
              managedRuleGroupStatement: {
                vendorName: 'AWS',
                name,
                ruleActionOverrides: countedManagedRules[name].map((rule) => ({ name: rule, actionToUse: { count: {} } })),
              },
            },
            visibilityConfig: visibility(name),
          }),
        ),
      ],
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });

    // WAF only logs to log groups whose name starts with aws-waf-logs-. The group is kept when the
    // stack goes (the logs of an incident outlive a teardown), so its name ends with the first
    // part of the stack's own id: a stack of the same name created later gets a group of its own
    // instead of failing on "already exists".
    const stackIdSuffix = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
    const logGroupName = `aws-waf-logs-${stackName}-${stackIdSuffix}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // The log group's ARN without the ":*" suffix CDK's logGroupArn carries: WAF refuses that one.
      logDestinationConfigs: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    logging.node.addDependency(this.logGroup);
  }
}
