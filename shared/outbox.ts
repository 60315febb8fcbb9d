/**
 * The mail outbox: a route that wants a mail written writes an intent item into the table and
 * returns; the table's stream hands every inserted intent to the mailer function, which decides
 * what (if anything) to send. This module is what both sides share: the intent kinds, the item
 * key prefix and the stream filter that the CDK event source and the local stream reader apply.
 */

/** Every intent item's partition key starts with this. */
export const INTENT_KEY_PREFIX = 'MAIL#';

/**
 * The event-source filter: inserted intent items only. Lambda's filter syntax; the local stream
 * reader evaluates the same object (infra/local/stream.ts), so the two cannot drift apart.
 */
export const intentStreamFilter = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { pk: { S: [{ prefix: INTENT_KEY_PREFIX }] } } },
} as const;

/**
 * Intents are kept this long, then DynamoDB TTL removes them. Longer than the event source's
 * maximum record age, so a retried record still finds its intent (and its sent-marker).
 */
export const INTENT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * What a route asks the mailer for, by kind. A union with one handler per kind in the mailer's
 * dispatch table (shared/auth/mailer.ts): a new kind is one member here and one entry there.
 */
export type MailIntent =
  /** `sourceIp`: where the request came from, for the mailer's per-source limit. `roles`: an admin's
   *  invitation presets them on the account the link creates. */
  | { kind: 'signup'; email: string; sourceIp?: string; roles?: string[] }
  // Two-factor notices: written in the same transaction as the change they report.
  | { kind: 'mfa_enabled'; email: string }
  | { kind: 'mfa_disabled'; email: string }
  | { kind: 'recovery_code_used'; email: string; remaining: number }
  /** Forgot password: a reset link if the address has an account, nothing otherwise. */
  | { kind: 'password_reset'; email: string; sourceIp?: string }
  /**
   * A confirmation link to the NEW address `email` for account `userId`, unless the address has an
   * account. `credentialsVersion` is the account's when the change was asked for: the link is bound
   * to it, so a reset or password change before the mail goes out already kills it.
   */
  | { kind: 'email_change'; email: string; userId: string; credentialsVersion?: number }
  /** Notices (no links that change anything), written in the same transaction as the change. */
  | { kind: 'password_changed'; email: string }
  | { kind: 'email_changed'; email: string; newEmail: string }
  | { kind: 'account_deleted'; email: string }
  /** Email sign-in: a link and a code if the address has an account, else a "no account here" mail. */
  | { kind: 'email_signin'; email: string; sourceIp?: string }
  | { kind: 'passkey_added'; email: string; name: string }
  /**
   * "Connect <provider> to your account?": a link (1 h, single use) to the account's address, for
   * an identity whose verified address is the account's. Sent only while the account still has
   * that address and is not disabled.
   */
  | { kind: 'identity_link'; email: string; userId: string; provider: string; providerName: string; subject: string }
  | { kind: 'identity_linked'; email: string; providerName: string }
  | { kind: 'identity_unlinked'; email: string; providerName: string }
  | { kind: 'passkey_removed'; email: string; name: string };

export type MailIntentKind = MailIntent['kind'];

/** An intent as stored: the request plus its id and when it was written (epoch milliseconds). */
export type StoredIntent = MailIntent & { id: string; createdAt: number };
