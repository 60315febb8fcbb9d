import { completeEmailSignin } from '../../shared/auth/email-signin';
import { cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { emailSigninVerifyBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/email-signin/verify — the mailed link's token, or the address and code; signs in like login (or asks for the second factor). */
export const handler = httpHandler({ body: emailSigninVerifyBody }, async ({ body, event }) => {
  const outcome = await completeEmailSignin(auth, body, sessionClientOf(event));
  if ('mfaRequired' in outcome) return { status: 200, body: outcome };
  return sessionReply(outcome.tokens, cookieOptionsFor(event, auth.config), outcome.user);
});
