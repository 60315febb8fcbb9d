import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { alreadyRegisteredMail, verificationMail, type MailContent } from '../mail';
import type { Mailer } from '../stores';

export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESClient,
    private readonly from: string,
    private readonly verificationValidHours: number,
  ) {}

  sendVerification(to: string, link: string): Promise<void> {
    return this.send(to, verificationMail(to, link, this.verificationValidHours));
  }

  sendAlreadyRegistered(to: string, loginUrl: string): Promise<void> {
    return this.send(to, alreadyRegisteredMail(to, loginUrl));
  }

  private async send(to: string, mail: MailContent): Promise<void> {
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
