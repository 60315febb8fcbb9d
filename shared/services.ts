import type { AdminContext } from './auth/admin';
import type { AuthContext } from './auth/context';
import { DynamoAdminStore } from './aws/dynamodb-admin';
import { dynamo } from './aws/dynamodb';
import { DynamoChallengeStore } from './aws/dynamodb-challenges';
import { DynamoEmailSigninStore } from './aws/dynamodb-email-signin';
import { DynamoSecurityEventStore } from './aws/dynamodb-events';
import { DynamoIdentityStore } from './aws/dynamodb-identities';
import { DynamoLimitStore } from './aws/dynamodb-limits';
import { DynamoMfaStore } from './aws/dynamodb-mfa';
import { DynamoPasskeyStore } from './aws/dynamodb-passkeys';
import { DynamoOutbox } from './aws/dynamodb-outbox';
import { DynamoSessionStore } from './aws/dynamodb-sessions';
import { DynamoUserStore } from './aws/dynamodb-users';
import { getConfig } from './config';

/**
 * The production wiring of the HTTP functions' rules: DynamoDB stores over the module-level
 * client. Built once per container, at cold start, so bad config fails there. No SES here: mail
 * goes through the outbox, and only the mailer (shared/mailer-services.ts) holds an SES client.
 */
export function createAuthContext(): AuthContext {
  const config = getConfig();
  return {
    users: new DynamoUserStore(dynamo, config.TABLE_NAME),
    sessions: new DynamoSessionStore(dynamo, config.TABLE_NAME),
    limits: new DynamoLimitStore(dynamo, config.TABLE_NAME),
    mfa: new DynamoMfaStore(dynamo, config.TABLE_NAME),
    challenges: new DynamoChallengeStore(dynamo, config.TABLE_NAME),
    passkeys: new DynamoPasskeyStore(dynamo, config.TABLE_NAME),
    emailSignins: new DynamoEmailSigninStore(dynamo, config.TABLE_NAME),
    identities: new DynamoIdentityStore(dynamo, config.TABLE_NAME),
    outbox: new DynamoOutbox(dynamo, config.TABLE_NAME),
    events: new DynamoSecurityEventStore(dynamo, config.TABLE_NAME),
    config,
    now: () => Date.now(),
  };
}

/** The admin API's wiring: the same stores plus the admin's own. */
export function createAdminContext(): AdminContext {
  const config = getConfig();
  return { ...createAuthContext(), admin: new DynamoAdminStore(dynamo, config.TABLE_NAME) };
}
