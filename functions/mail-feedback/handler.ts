import { recordMailFeedback, type MailFeedbackContext } from '../../shared/auth/mail-feedback';
import { createMailFeedbackContext } from '../../shared/mail-feedback-services';

/**
 * Not an HTTP route: EventBridge invokes it with SES's "Email Bounced" and "Email Complaint
 * Received" events of the stack's configuration set. A failure throws, so EventBridge retries.
 */
export function mailFeedbackHandler(ctx: MailFeedbackContext) {
  return async (event: unknown): Promise<{ suppressed: number }> => ({ suppressed: await recordMailFeedback(ctx, event) });
}

export const handler = mailFeedbackHandler(createMailFeedbackContext());
