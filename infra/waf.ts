import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface RateLimitWafProps {
  /** ARN of the API stage to protect. */
  stageArn: string;
  stageName: string;
  /** Requests per client IP per 5 minutes to /auth/* before the IP is blocked for a while. */
  limitPer5Minutes: number;
}

/**
 * A regional web ACL on the API stage with one rule: a per-IP rate limit on /auth/* (sign-up,
 * login, refresh, ...), the endpoints worth hammering. It complements the per-account login
 * lockout in code: one IP can no longer spray passwords across many accounts.
 */
export class RateLimitWaf extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

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
      ],
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });
  }
}
