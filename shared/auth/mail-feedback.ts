import * as z from 'zod/mini';
import { logger, recordMailEvent } from '../observability';
import type { SuppressionList, SuppressionReason } from '../stores';

/** What the mail-feedback function runs against. */
export interface MailFeedbackContext {
  suppressions: SuppressionList;
  now: () => number;
}

/**
 * SES's event for a mail sent through the stack's configuration set, as EventBridge delivers it
 * (detail-type "Email Bounced" or "Email Complaint Received"; the detail is SES's event record).
 * Only the fields read here are checked; SES sends many more.
 */
const recipients = z.array(z.object({ emailAddress: z.string() }));
const sesEvent = z.object({
  'detail-type': z.string(),
  detail: z.object({
    eventType: z.string(),
    bounce: z.optional(z.object({ bounceType: z.string(), bouncedRecipients: recipients, feedbackId: z.optional(z.string()) })),
    complaint: z.optional(z.object({ complainedRecipients: recipients, feedbackId: z.optional(z.string()) })),
  }),
});
export type SesFeedbackEvent = z.infer<typeof sesEvent>;

/** `Name <a@b>` or `a@b`, trimmed and lower-cased as every address the service stores. */
function addressOf(raw: string): string {
  return (/<([^<>]+)>\s*$/.exec(raw)?.[1] ?? raw).trim().toLowerCase();
}

/**
 * Records SES feedback: every recipient of a permanent (hard) bounce and every recipient who
 * complained goes on the suppression list, which the mailer checks before each mail. Transient
 * and undetermined bounces are left alone: SES already retried them, and a full mailbox is not a
 * dead one. Returns how many addresses were recorded; an event of another shape is logged and
 * skipped (retrying it would never help).
 */
export async function recordMailFeedback(ctx: MailFeedbackContext, raw: unknown): Promise<number> {
  const parsed = sesEvent.safeParse(raw);
  if (!parsed.success) {
    logger.error('not an SES bounce or complaint event; skipped', { detailType: (raw as { 'detail-type'?: unknown })?.['detail-type'] as string | undefined });
    return 0;
  }
  const { bounce, complaint } = parsed.data.detail;
  const entries: Array<{ email: string; reason: SuppressionReason; feedbackId?: string }> = [];
  if (bounce?.bounceType === 'Permanent') {
    for (const r of bounce.bouncedRecipients) entries.push({ email: addressOf(r.emailAddress), reason: 'bounce', feedbackId: bounce.feedbackId });
  }
  if (complaint) {
    for (const r of complaint.complainedRecipients) entries.push({ email: addressOf(r.emailAddress), reason: 'complaint', feedbackId: complaint.feedbackId });
  }
  for (const entry of entries) {
    await ctx.suppressions.suppress({ ...entry, at: ctx.now() });
    recordMailEvent('AddressSuppressed', { reason: entry.reason, feedbackId: entry.feedbackId });
  }
  if (entries.length === 0) logger.info('SES feedback needs no suppression', { detailType: parsed.data['detail-type'], eventType: parsed.data.detail.eventType });
  return entries.length;
}
