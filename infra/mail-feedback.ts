import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { ServiceFunction } from './service-function';

/** SES's EventBridge detail types for the two events that put an address on the suppression list. */
export const SES_FEEDBACK_DETAIL_TYPES = ['Email Bounced', 'Email Complaint Received'] as const;

/**
 * The SES configuration set every mail goes out through, named after the stack:
 * - its hard bounces and complaints go to EventBridge's default bus, where a rule that matches
 *   only this set's events (SES tags each with ses:configuration-set) hands them to the
 *   mail-feedback function, which writes the suppression items the mailer checks;
 * - SES's own suppression list for the set stops delivery to such addresses too, as a second
 *   line should an event be lost;
 * - reputation metrics are on, so bounce and complaint rates can be watched (infra/alarms.ts).
 */
export class MailFeedback extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  /** The set's name (the stack's), as a literal: what the mailer sends with and the rule matches. */
  readonly configurationSetName: string;
  readonly configurationSetArn: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: stack.stackName,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSetName = stack.stackName;
    this.configurationSetArn = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSetName });

    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });

  }

  /** Hands this set's bounce and complaint events to the function that records them. */
  deliverTo(feedbackFunction: ServiceFunction): events.Rule {
    return new events.Rule(this, 'BouncesAndComplaints', {
      description: "SES hard bounces and complaints of this stack's configuration set, to the suppression list",
      eventPattern: {
        source: ['aws.ses'],
        detailType: [...SES_FEEDBACK_DETAIL_TYPES],
        detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSetName] } } },
      },
      targets: [
        // EventBridge retries a failed invocation with backoff for up to a day; a lost event still
        // leaves SES's own suppression list (above) in the way of the next mail.
        new targets.LambdaFunction(feedbackFunction.function, { retryAttempts: 20, maxEventAge: Duration.hours(24) }),
      ],
    });
  }
}
