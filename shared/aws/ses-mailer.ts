import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { MailContent } from '../mail';
import type { MailSender } from '../stores';

export class SesMailSender implements MailSender {
  constructor(
    private readonly client: SESClient,
    private readonly from: string,
  ) {}

  async send(to: string, mail: MailContent): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        Source: this.from,
        Destination: { ToAddresses: [to] },
        Message: {
          Subject: { Data: mail.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
        },
      }),
    );
  }
}
