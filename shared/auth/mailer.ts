import type { Config } from '../config';
import {
  accountDeletedNotice, emailChangedNotice, emailSigninMail, emailSigninNoAccountMail, passkeyAddedNotice, passkeyRemovedNotice, emailChangeMail, mfaDisabledNotice, mfaEnabledNotice, passwordChangedNotice, passwordResetMail,
  recoveryCodeUsedNotice, signupAttemptNotice, signupMail, type MailContent,
} from '../mail';
import { logger, recordMailEvent } from '../observability';
import type { MailIntentKind, StoredIntent } from '../outbox';
import { MailRejected, type EmailSigninStore, type IntentStore, type MailSender, type SuppressionList, type UserStore } from '../stores';
import { EMAIL_SIGNIN_TTL_SECONDS, newEmailSignin } from '../tokens/email-signin-token';
import { withinMailLimits } from './mail-limits';
import { newVerificationToken } from '../tokens/verification-token';

/** What the mailer runs against: account state, its side of the outbox, SES, config and a clock. */
export interface MailerContext {
  users: UserStore;
  intents: IntentStore;
  emailSignins: EmailSigninStore;
  sender: MailSender;
  /** Addresses that bounced for good or complained: never mailed again. */
  suppressions: SuppressionList;
  config: Config;
  now: () => number;
}

/** Sign-up mails (links and "you already have an account" notices) per mailbox per hour (see mail-limits.ts). */
export const SIGNUP_MAILS_PER_ADDRESS_PER_HOUR = 5;
/** Reset links per mailbox per hour; email-change links per new mailbox per hour. */
export const RESET_MAILS_PER_ADDRESS_PER_HOUR = 5;
export const EMAIL_CHANGE_MAILS_PER_ADDRESS_PER_HOUR = 5;
/** Sign-in mails (links and codes, or the "no account" mail) per address per hour, as for sign-up. */
export const EMAIL_SIGNIN_MAILS_PER_ADDRESS_PER_HOUR = 5;
export const RESET_TOKEN_TTL_SECONDS = 30 * 60;
export const EMAIL_CHANGE_TOKEN_TTL_SECONDS = 60 * 60;

/** What to send for one intent, or undefined when nothing should go out (a limit was reached). */
type Decide<K extends MailIntentKind> = (ctx: MailerContext, intent: Extract<StoredIntent, { kind: K }>) => Promise<{ to: string; mail: MailContent } | undefined>;

function appLink(ctx: MailerContext, path: string, query: Record<string, string> = {}): string {
  const url = new URL(path, ctx.config.APP_URL);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * Sign-up: an address without an account gets a link that lets its owner choose the password;
 * an address with one gets a notice instead. Either way the request that asked saw the same 202.
 */
const signup: Decide<'signup'> = async (ctx, intent) => {
  if (!(await withinMailLimits(ctx, intent, 'signup', SIGNUP_MAILS_PER_ADDRESS_PER_HOUR))) return undefined;
  if (await ctx.users.findByEmail(intent.email)) {
    return { to: intent.email, mail: signupAttemptNotice(intent.email, { login: appLink(ctx, '/'), forgotPassword: appLink(ctx, '/forgot-password') }) };
  }
  const { token, tokenHash } = newVerificationToken();
  const ttlSeconds = ctx.config.VERIFICATION_TOKEN_TTL_SECONDS;
  // issuedAt: should an account hold this address later and leave it, this link stays dead.
  await ctx.users.createSignupToken({
    tokenHash,
    email: intent.email,
    issuedAt: ctx.now(),
    expiresAt: ctx.now() + ttlSeconds * 1000,
    ...(intent.roles?.length ? { roles: intent.roles } : {}),
  });
  return { to: intent.email, mail: signupMail(intent.email, appLink(ctx, '/verify', { token }), Math.round(ttlSeconds / 3600)) };
};

/**
 * Forgot password: a reset link only for an address with an account (nothing at all otherwise,
 * and the request saw the same 202). The link records the account's credentialsVersion, so a
 * reset, password change, email change or deletion after it was made leaves it useless.
 */
const password_reset: Decide<'password_reset'> = async (ctx, intent) => {
  if (!(await withinMailLimits(ctx, intent, 'reset', RESET_MAILS_PER_ADDRESS_PER_HOUR))) return undefined;
  const user = await ctx.users.findByEmail(intent.email);
  if (!user) return undefined;
  const { token, tokenHash } = newVerificationToken();
  await ctx.users.createResetToken({
    tokenHash, userId: user.id, credentialsVersion: user.credentialsVersion ?? 0, expiresAt: ctx.now() + RESET_TOKEN_TTL_SECONDS * 1000,
  });
  return { to: user.email, mail: passwordResetMail(user.email, appLink(ctx, '/reset-password', { token }), RESET_TOKEN_TTL_SECONDS / 60) };
};

/**
 * Email change: a confirmation link to the new address, unless that address belongs to an
 * account (then nothing goes anywhere: the requester cannot learn whose address it is), the
 * requesting account is gone, or its credentials changed since the request (a reset or password
 * change meanwhile: such a link would be dead anyway). The link is bound to the credentialsVersion
 * of the request, not of this moment, so a mail delayed past a reset cannot carry a live link.
 */
const email_change: Decide<'email_change'> = async (ctx, intent) => {
  if (!(await withinMailLimits(ctx, intent, 'email_change', EMAIL_CHANGE_MAILS_PER_ADDRESS_PER_HOUR))) return undefined;
  if (await ctx.users.findByEmail(intent.email)) return undefined;
  const user = await ctx.users.findById(intent.userId);
  if (!user) return undefined;
  const credentialsVersion = intent.credentialsVersion ?? user.credentialsVersion ?? 0;
  if (credentialsVersion !== (user.credentialsVersion ?? 0)) return undefined;
  const { token, tokenHash } = newVerificationToken();
  await ctx.users.createEmailChangeToken({
    tokenHash, userId: user.id, oldEmail: user.email, newEmail: intent.email, credentialsVersion, expiresAt: ctx.now() + EMAIL_CHANGE_TOKEN_TTL_SECONDS * 1000,
  });
  return { to: intent.email, mail: emailChangeMail(intent.email, appLink(ctx, '/confirm-email', { token }), EMAIL_CHANGE_TOKEN_TTL_SECONDS / 60) };
};

/**
 * Email sign-in: a link and a code (15 minutes, single use, bound to the account's email sign-in
 * version) for an address with an account; for one without, a mail that says so and links to
 * sign-up. The request saw the same 202 either way.
 */
const email_signin: Decide<'email_signin'> = async (ctx, intent) => {
  if (!(await withinMailLimits(ctx, intent, 'email_signin', EMAIL_SIGNIN_MAILS_PER_ADDRESS_PER_HOUR))) return undefined;
  const user = await ctx.users.findByEmail(intent.email);
  const signinVersion = user ? await ctx.emailSignins.versionOf(user.id) : undefined;
  if (!user || signinVersion === undefined) return { to: intent.email, mail: emailSigninNoAccountMail(intent.email, appLink(ctx, '/')) };
  const { token, tokenHash, code, codeHash, addressHash } = newEmailSignin(user.email);
  await ctx.emailSignins.create(tokenHash, codeHash, addressHash, { userId: user.id, signinVersion, expiresAt: ctx.now() + EMAIL_SIGNIN_TTL_SECONDS * 1000 });
  return { to: user.email, mail: emailSigninMail(user.email, appLink(ctx, '/email-signin', { token }), code, EMAIL_SIGNIN_TTL_SECONDS / 60) };
};

// Notices: written in the transaction of the change they report, so they go out as they are.
const password_changed: Decide<'password_changed'> = async (_ctx, intent) => ({ to: intent.email, mail: passwordChangedNotice(intent.email) });
const email_changed: Decide<'email_changed'> = async (_ctx, intent) => ({ to: intent.email, mail: emailChangedNotice(intent.email, intent.newEmail) });
const account_deleted: Decide<'account_deleted'> = async (_ctx, intent) => ({ to: intent.email, mail: accountDeletedNotice(intent.email) });

/** Two-factor notices: no links, no limits (each reports a change the owner must hear about). */
const mfa_enabled: Decide<'mfa_enabled'> = async (_ctx, intent) => ({ to: intent.email, mail: mfaEnabledNotice(intent.email) });
const mfa_disabled: Decide<'mfa_disabled'> = async (_ctx, intent) => ({ to: intent.email, mail: mfaDisabledNotice(intent.email) });
const recovery_code_used: Decide<'recovery_code_used'> = async (_ctx, intent) => ({
  to: intent.email,
  mail: recoveryCodeUsedNotice(intent.email, intent.remaining),
});

/** Passkey notices: written with the change, no links, no limits. */
const passkey_added: Decide<'passkey_added'> = async (_ctx, intent) => ({ to: intent.email, mail: passkeyAddedNotice(intent.email, intent.name) });
const passkey_removed: Decide<'passkey_removed'> = async (_ctx, intent) => ({ to: intent.email, mail: passkeyRemovedNotice(intent.email, intent.name) });

/** The one dispatch table: every intent kind and how the mailer decides on it. */
const decide: { [K in MailIntentKind]: Decide<K> } = {
  signup, password_reset, email_change, password_changed, email_changed, account_deleted, mfa_enabled, mfa_disabled, recovery_code_used,
  passkey_added, passkey_removed, email_signin,
};

export function isKnownIntentKind(kind: unknown): kind is MailIntentKind {
  return typeof kind === 'string' && Object.hasOwn(decide, kind);
}

/**
 * Delivers one intent at least once. An intent already marked is skipped, so a redelivery does
 * not send twice (except after a crash between the send and the mark). An address on the
 * suppression list gets nothing (every kind mails intent.email), decided before any token is
 * made. A mail SES refuses for good is recorded on the intent and counted, never retried. Any
 * other failure throws: the stream record is retried and the intent is decided again from scratch.
 */
export async function deliverIntent(ctx: MailerContext, intent: StoredIntent): Promise<'sent' | 'suppressed' | 'already_sent' | 'rejected'> {
  if (await ctx.intents.isSent(intent.id)) return 'already_sent';
  if (await ctx.suppressions.isSuppressed(intent.email)) {
    recordMailEvent('MailSuppressed', { intentId: intent.id, kind: intent.kind });
    await ctx.intents.markSent(intent.id, ctx.now());
    return 'suppressed';
  }
  const outcome = await (decide[intent.kind] as Decide<MailIntentKind>)(ctx, intent);
  if (outcome) {
    try {
      await ctx.sender.send(outcome.to, outcome.mail);
    } catch (error) {
      if (!(error instanceof MailRejected)) throw error;
      recordMailEvent('MailRejected', { intentId: intent.id, kind: intent.kind, reason: error.reason });
      await ctx.intents.markRejected(intent.id, error.reason, ctx.now());
      return 'rejected';
    }
  }
  await ctx.intents.markSent(intent.id, ctx.now());
  return outcome ? 'sent' : 'suppressed';
}
