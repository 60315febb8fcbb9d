import type { MailFeedbackContext } from './auth/mail-feedback';
import { dynamo } from './aws/dynamodb';
import { DynamoSuppressionList } from './aws/dynamodb-suppressions';
import { getConfig } from './config';

/** The mail-feedback function's wiring: the suppression list only (no SES client in its bundle). */
export function createMailFeedbackContext(): MailFeedbackContext {
  const config = getConfig();
  return { suppressions: new DynamoSuppressionList(dynamo, config.TABLE_NAME), now: () => Date.now() };
}
