import { ApiError } from '../errors';
import { EMAIL_SIGNIN_CODE_ATTEMPTS, hashEmailSigninAddress, hashEmailSigninCode } from '../tokens/email-signin-token';
import { hashVerificationToken } from '../tokens/verification-token';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { startMfaChallenge, type MfaRequired } from './mfa-challenge';
import { recordEvent } from './events';
import { startRecordedSession } from './recent-sessions';
import { settledTogether } from './settled-together';
import type { SessionClient } from './session-client';
import { throttledPasswordCheck, throttleKeys } from './throttle';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

export const EMAIL_SIGNIN_REQUESTED = 'Check your inbox: if the address has an account, a sign-in link and code are on their way.';

/**
 * Sign-in by a mailed link or code. The request writes one mail intent and nothing else, so every
 * address gets the same 202 after the same work; the mailer makes the link and code (or tells an
 * unknown address so) and applies the per-address limit.
 */
export async function requestEmailSignin(ctx: AuthContext, input: { email: string }, sourceIp: string | undefined): Promise<void> {
  await ctx.outbox.enqueue({ kind: 'email_signin', email: input.email, ...(sourceIp ? { sourceIp } : {}) });
}

export type EmailSigninInput = { token: string } | { email: string; code: string };

/**
 * POST /auth/email-signin/verify: the link's token, or the address and its code. Each is used up
 * by one conditional delete; the sign-in then commits by bumping the account's email sign-in
 * version, so of a mail's link and code, and of every other mail's, one sign-in wins and the rest
 * are dead. Codes are counted on the address's throttle counter (5 failures lock) and on the
 * newest code's own budget (5 attempts, then refused however long one waits). With two-factor
 * on, the answer is an mfaToken, as for a password login.
 */
export async function completeEmailSignin(ctx: AuthContext, input: EmailSigninInput, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens } | MfaRequired> {
  const refusal = new ApiError('token' in input ? 'invalid_token' : 'invalid_code');
  let signin: Awaited<ReturnType<typeof ctx.emailSignins.consume>>;
  if ('token' in input) {
    signin = await ctx.emailSignins.consume(hashVerificationToken(input.token), ctx.now());
  } else {
    const consumed = await throttledPasswordCheck(ctx, throttleKeys.emailSigninCode(input.email), async () => {
      // Side by side, one round trip: a right code tried past its budget is used up and still refused.
      const [allowed, found] = await Promise.all([
        ctx.emailSignins.claimCodeAttempt(hashEmailSigninAddress(input.email), EMAIL_SIGNIN_CODE_ATTEMPTS, ctx.now()),
        ctx.emailSignins.consume(hashEmailSigninCode(input.email, input.code), ctx.now()),
      ]);
      signin = allowed ? found : undefined;
      return signin !== undefined;
    });
    if (!consumed) throw refusal;
  }
  if (!signin) throw refusal;
  if (!(await ctx.emailSignins.complete(signin.userId, signin.signinVersion))) throw refusal;
  const user = await ctx.users.findById(signin.userId);
  if (!user) throw refusal;
  if (user.mfaEnabled) return startMfaChallenge(ctx, user);
  const session = newSession(ctx, user.id, client, ['mail']);
  // As at login: a password change or two-factor turned on meanwhile refuses this session. The event is written beside it.
  await settledTogether([startRecordedSession(ctx, user, session, user.passwordHash, refusal), recordEvent(ctx, user.id, 'signed_in', { ...client, method: 'email' })]);
  const tokens = await issueTokens(ctx, session, session.generation);
  return { user: publicUser(user), tokens };
}
