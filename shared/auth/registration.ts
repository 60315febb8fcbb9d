import { randomUUID } from 'node:crypto';
import { ApiError, OUTAGE_RETRY_AFTER_SECONDS } from '../errors';
import { logger, recordSecurityEvent } from '../observability';
import { hashPassword } from '../passwords';
import type { PendingVerification, UserRecord } from '../stores';
import { newVerificationToken } from '../tokens/verification-token';
import type { AuthContext } from './context';

/** Per email address: sign-ups and resends allowed per hour before 429 rate_limited. */
export const REGISTRATIONS_PER_EMAIL_PER_HOUR = 10;
export const RESENDS_PER_EMAIL_PER_HOUR = 5;

export const REGISTRATION_ACCEPTED = 'If the address can be used, a mail with a confirmation link is on its way.';
export const RESEND_ACCEPTED = 'If the address has an unconfirmed account, a new confirmation link is on its way.';

const RATE_WINDOW_SECONDS = 3600;

async function enforceRate(ctx: AuthContext, key: string, perHour: number): Promise<void> {
  const now = ctx.now();
  if ((await ctx.limits.hit(key, RATE_WINDOW_SECONDS, now)) > perHour) {
    throw new ApiError('rate_limited', { retryAfterSeconds: RATE_WINDOW_SECONDS - (Math.floor(now / 1000) % RATE_WINDOW_SECONDS) });
  }
}

function freshVerification(ctx: AuthContext): { token: string; verification: PendingVerification } {
  const { token, tokenHash } = newVerificationToken();
  return { token, verification: { tokenHash, expiresAt: ctx.now() + ctx.config.VERIFICATION_TOKEN_TTL_SECONDS * 1000 } };
}

function verificationLink(ctx: AuthContext, token: string): string {
  const url = new URL('/verify', ctx.config.APP_URL);
  url.searchParams.set('token', token);
  return url.toString();
}

/** Mail failures become a 503: the request was fine, delivery was not; the caller may retry. */
async function sendMail(send: () => Promise<void>, userId: string): Promise<void> {
  try {
    await send();
  } catch (error) {
    recordSecurityEvent('VerificationMailFailure', { userId, error: error instanceof Error ? error.name : 'unknown' });
    throw new ApiError('service_unavailable', { retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS, detail: 'The mail could not be sent.' });
  }
}

const usernameTaken = () => new ApiError('username_taken', { errors: [{ field: 'username', message: 'is already taken' }] });

/**
 * Sign-up. The reply is the same whether the address is new, pending or taken (enumeration
 * safety), and so is the work: a password is always hashed. A pending sign-up is replaced by the
 * newest one (older links die); a verified address gets an "already registered" mail instead.
 */
export async function register(ctx: AuthContext, input: { email: string; password: string; username?: string }): Promise<void> {
  await enforceRate(ctx, `register#${input.email}`, REGISTRATIONS_PER_EMAIL_PER_HOUR);
  const [existing, passwordHash] = await Promise.all([ctx.users.findByEmail(input.email), hashPassword(input.password)]);

  if (existing?.emailVerified) {
    const loginUrl = new URL('/', ctx.config.APP_URL).toString();
    await sendMail(() => ctx.mailer.sendAlreadyRegistered(existing.email, loginUrl), existing.id);
    return;
  }

  const { token, verification } = freshVerification(ctx);
  if (existing) {
    const outcome = await ctx.users.replacePending(existing, { passwordHash, username: input.username, verification });
    if (outcome === 'username_taken') throw usernameTaken();
    // Another sign-up for the same address got in first; its mail is on the way.
    if (outcome === 'changed_meanwhile') return;
    await sendMail(() => ctx.mailer.sendVerification(existing.email, verificationLink(ctx, token)), existing.id);
    return;
  }

  const user: UserRecord & { verification: PendingVerification } = {
    id: randomUUID(),
    email: input.email,
    ...(input.username ? { username: input.username } : {}),
    passwordHash,
    emailVerified: false,
    createdAt: new Date(ctx.now()).toISOString(),
    verification,
  };
  const outcome = await ctx.users.createPending(user);
  if (outcome === 'username_taken') throw usernameTaken();
  // A simultaneous sign-up for the same address won the race: exactly one account, same reply.
  if (outcome === 'email_taken') return;
  try {
    await sendMail(() => ctx.mailer.sendVerification(user.email, verificationLink(ctx, token)), user.id);
  } catch (error) {
    // Nothing half-written: without its mail the account is undone, so the next sign-up starts clean.
    await ctx.users.deletePending(user).catch((undoError) => logger.error('could not undo registration', { userId: user.id, error: String(undoError) }));
    throw error;
  }
}

/** A fresh link for a pending account; silently nothing for unknown or verified addresses. */
export async function resendVerification(ctx: AuthContext, email: string): Promise<void> {
  await enforceRate(ctx, `resend#${email}`, RESENDS_PER_EMAIL_PER_HOUR);
  const user = await ctx.users.findByEmail(email);
  if (!user || user.emailVerified) return;
  const { token, verification } = freshVerification(ctx);
  if (!(await ctx.users.replaceVerification(user, verification))) return;
  await sendMail(() => ctx.mailer.sendVerification(user.email, verificationLink(ctx, token)), user.id);
}
