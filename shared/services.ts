import type { AuthContext } from './auth/context';
import { dynamo } from './aws/dynamodb';
import { DynamoLimitStore } from './aws/dynamodb-limits';
import { DynamoSessionStore } from './aws/dynamodb-sessions';
import { DynamoUserStore } from './aws/dynamodb-users';
import { ses } from './aws/ses';
import { SesMailer } from './aws/ses-mailer';
import { getConfig } from './config';

/**
 * The production wiring of the auth rules: DynamoDB stores and the SES mailer over the
 * module-level clients. Built once per container, at cold start, so bad config fails there.
 */
export function createAuthContext(): AuthContext {
  const config = getConfig();
  return {
    users: new DynamoUserStore(dynamo, config.TABLE_NAME),
    sessions: new DynamoSessionStore(dynamo, config.TABLE_NAME),
    limits: new DynamoLimitStore(dynamo, config.TABLE_NAME),
    mailer: new SesMailer(ses, config.MAIL_FROM, Math.round(config.VERIFICATION_TOKEN_TTL_SECONDS / 3600)),
    config,
    now: () => Date.now(),
  };
}
