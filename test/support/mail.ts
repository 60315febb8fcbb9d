import { SendEmailCommand } from '@aws-sdk/client-ses';
import { sesMock } from './aws';

/** A mail as the SES mock received it: what the recipient would see. */
export interface SentMail {
  from: string | undefined;
  to: string[];
  subject: string | undefined;
  text: string;
  html: string;
}

export function sentMails(): SentMail[] {
  return sesMock.commandCalls(SendEmailCommand).map(({ args: [command] }) => {
    const { Source, Destination, Message } = command.input;
    return {
      from: Source,
      to: Destination?.ToAddresses ?? [],
      subject: Message?.Subject?.Data,
      text: Message?.Body?.Text?.Data ?? '',
      html: Message?.Body?.Html?.Data ?? '',
    };
  });
}

/** The sign-up link the test config (APP_URL https://app.example.com) puts in a mail part. */
export const VERIFY_LINK = /https:\/\/app\.example\.com\/verify\?token=(vt1_[\w-]+)/;

/** The token of the sign-up link in a mail's text part, or undefined when there is none. */
export function linkToken(mail: SentMail): string | undefined {
  return VERIFY_LINK.exec(mail.text)?.[1];
}
