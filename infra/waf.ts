import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface RateLimitWafProps {
  /** ARN of the API stage to protect. */
  stageArn: string;
  stageName: string;
  /** Requests per client IP per 5 minutes to /auth/* before the IP is blocked for a while. */
  limitPer5Minutes: number;
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

/**
 * A regional web ACL on the API stage: a per-IP rate limit on /auth/* (sign-up, login, refresh,
 * ...), the endpoints worth hammering, then AWS's IP reputation list, common rule set and known
 * bad inputs (minus the rules above). The rate limit complements the login throttle in code: one
 * IP can no longer spray passwords across many accounts. Logs go to CloudWatch without the
 * Authorization and Cookie headers.
 */
export class RateLimitWaf extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RateLimitWafProps) {
    super(scope, id);

    // Through the execute-api host the path starts with the stage; through a custom domain it does not.
    const authPathPrefixes = [`/${props.stageName}/auth/`, '/auth/'];
    const startsWith = (prefix: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: prefix,
        // Decode and lower-case first, so /AUTH/ or %2Fauth%2F cannot slip past the rule.
        textTransformations: [
          { priority: 0, type: 'URL_DECODE' },
          { priority: 1, type: 'LOWERCASE' },
        ],
      },
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'serverless-auth', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'auth-rate-limit-per-ip',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.limitPer5Minutes,
              evaluationWindowSec: 300,
              scopeDownStatement: { orStatement: { statements: authPathPrefixes.map(startsWith) } },
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'auth-rate-limit-per-ip', sampledRequestsEnabled: true },
        },
        // Reputation first: it is the cheapest and blocks known-bad sources before any inspection.
        ...(['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const).map(
          (name, index): wafv2.CfnWebACL.RuleProperty => ({
            name,
            priority: index + 1,
            overrideAction: { none: {} },
            statement: {
              managedRuleGroupStatement: {
                vendorName: 'AWS',
                name,
                ruleActionOverrides: countedManagedRules[name].map((rule) => ({ name: rule, actionToUse: { count: {} } })),
              },
            },
            visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
          }),
        ),
      ],
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });

    // WAF only logs to log groups whose name starts with aws-waf-logs-.
    const logGroupName = `aws-waf-logs-serverless-auth-${props.stageName}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // The log group's ARN without the ":*" suffix CDK's logGroupArn carries: WAF refuses that one.
      logDestinationConfigs: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    logging.node.addDependency(this.logGroup);
  }
}
