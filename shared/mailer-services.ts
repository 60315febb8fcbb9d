import type { MailerContext } from './auth/mailer';
import { dynamo } from './aws/dynamodb';
import { DynamoChallengeStore } from './aws/dynamodb-challenges';
import { DynamoEmailSigninStore } from './aws/dynamodb-email-signin';
import { DynamoOutbox } from './aws/dynamodb-outbox';
import { DynamoSuppressionList } from './aws/dynamodb-suppressions';
import { DynamoUserStore } from './aws/dynamodb-users';
import { ses } from './aws/ses';
import { SesMailSender } from './aws/ses-mailer';
import { getConfig } from './config';

/** The mailer's production wiring: the only place an SES client is built. */
export function createMailerContext(): MailerContext {
  const config = getConfig();
  return {
    users: new DynamoUserStore(dynamo, config.TABLE_NAME),
    intents: new DynamoOutbox(dynamo, config.TABLE_NAME),
    emailSignins: new DynamoEmailSigninStore(dynamo, config.TABLE_NAME),
    challenges: new DynamoChallengeStore(dynamo, config.TABLE_NAME),
    sender: new SesMailSender(ses, config.MAIL_FROM, config.SES_CONFIGURATION_SET),
    suppressions: new DynamoSuppressionList(dynamo, config.TABLE_NAME),
    config,
    now: () => Date.now(),
  };
}

