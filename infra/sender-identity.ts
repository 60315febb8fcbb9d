import { Aws, CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface SenderIdentityProps {
  /** The mailFrom address, or its domain. */
  identity: string;
  fromAddress: string;
  /** true only on the stage that owns the identity; the others use the existing one. */
  create: boolean;
  /** Verified recipient addresses while the account is in the SES sandbox. */
  sandboxRecipients: readonly string[];
  /** Custom MAIL FROM domain of the created identity (a subdomain of the sender's domain). */
  mailFromDomain?: string;
}

/**
 * The SES identity mail is sent from, and the ARNs the send permission is scoped to. A domain
 * identity gets Easy DKIM: its three CNAME records are stack outputs to copy into DNS. An
 * address identity is verified by the link SES mails to it at deploy.
 */
export class SenderIdentity extends Construct {
  /** Identities a sending function may use: the sender (address and, for a domain, the domain). */
  readonly identityArns: string[];

  constructor(scope: Construct, id: string, props: SenderIdentityProps) {
    super(scope, id);
    const isDomain = !props.identity.includes('@');

    if (props.create) {
      const identity = new ses.EmailIdentity(this, 'Identity', {
        identity: isDomain ? ses.Identity.domain(props.identity) : ses.Identity.email(props.identity),
        // Bounces come back to a domain of yours and SPF aligns with the From domain (DMARC). Until
        // its MX record resolves, SES falls back to amazonses.com rather than refusing to send.
        ...(props.mailFromDomain ? { mailFromDomain: props.mailFromDomain, mailFromBehaviorOnMxFailure: ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE } : {}),
      });
      // Other stages in the account send through it: destroying this stage must not unverify them.
      identity.applyRemovalPolicy(RemovalPolicy.RETAIN);
      if (isDomain) {
        identity.dkimRecords.forEach((record, index) => {
          new CfnOutput(this, `DkimRecord${index + 1}`, {
            description: `DKIM CNAME ${index + 1} of 3 for ${props.identity}: name, then value`,
            value: `${record.name} CNAME ${record.value}`,
          });
        });
      }
      if (props.mailFromDomain) {
        new CfnOutput(this, 'MailFromMxRecord', {
          description: `MX record of the custom MAIL FROM domain ${props.mailFromDomain}`,
          value: `${props.mailFromDomain} MX 10 feedback-smtp.${Aws.REGION}.amazonses.com`,
        });
        new CfnOutput(this, 'MailFromSpfRecord', {
          description: `SPF record of the custom MAIL FROM domain ${props.mailFromDomain}`,
          value: `${props.mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`,
        });
      }
    }

    // SES authorises a send against the From address's identity and, for an address under a
    // verified domain, against the domain's; in the sandbox also against each recipient's.
    const identities = new Set([props.identity, props.fromAddress, ...props.sandboxRecipients]);
    this.identityArns = [...identities].map((name) =>
      Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: name }),
    );
  }
}
