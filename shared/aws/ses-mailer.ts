import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { MailContent } from '../mail';
import { MailRejected, type MailSender } from '../stores';

/**
 * SES errors that no retry changes: the message or an address was refused (MessageRejected,
 * InvalidParameterValue for a malformed address), the custom MAIL FROM domain is not verified,
 * the configuration set is gone. Retrying them would hold up the stream shard for hours and then
 * land in the dead-letter queue anyway. Throttling, 5xx, network errors and paused sending
 * (AccountSendingPausedException, ConfigurationSetSendingPausedException: an operator or SES
 * review may lift them) stay retryable.
 */
export const PERMANENT_SES_ERRORS: ReadonlySet<string> = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'MailFromDomainNotVerified',
  'ConfigurationSetDoesNotExistException',
  'InvalidParameterValue',
]);

export class SesMailSender implements MailSender {
  constructor(
    private readonly client: SESClient,
    private readonly from: string,
    /** The configuration set that publishes bounces and complaints (SES_CONFIGURATION_SET); none locally. */
    private readonly configurationSet?: string,
  ) {}

  async send(to: string, mail: MailContent): Promise<void> {
    try {
      await this.client.send(
        new SendEmailCommand({
          Source: this.from,
          Destination: { ToAddresses: [to] },
          Message: {
            Subject: { Data: mail.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
          },
          ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof Error && PERMANENT_SES_ERRORS.has(error.name)) throw new MailRejected(error.name);
      throw error;
    }
  }
}
