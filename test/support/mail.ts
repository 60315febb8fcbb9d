import { SendEmailCommand } from '@aws-sdk/client-ses';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsError, ddbMock, sesMock } from './aws';

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

/**
 * The mail-limit windows whose key matches `full` refuse the intent as DynamoDB does when a window
 * is full (the conditional claim fails); every other window takes it (the mock's default).
 */
export function givenFullMailLimit(full: RegExp): void {
  const refuseIfFull = (input: { Key?: Record<string, unknown> }) => {
    if (full.test(String(input.Key?.pk))) throw awsError('ConditionalCheckFailedException');
    return {};
  };
  ddbMock.on(UpdateCommand, { UpdateExpression: 'ADD intents :id SET expiresAt = :expires' }).callsFake(refuseIfFull);
  ddbMock.on(UpdateCommand, { UpdateExpression: 'ADD hits :one SET expiresAt = :expires' }).callsFake(refuseIfFull);
}

/** The keys of the mail-limit windows the mailer claimed a place in, in order. */
export function claimedLimitKeys(): string[] {
  return ddbMock
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => /^ADD (intents|hits) /.test(input.UpdateExpression ?? ''))
    .map((input) => String(input.Key?.pk).replace(/#\d+$/, ''));
}
