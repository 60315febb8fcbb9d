import { completeSignup } from '../../shared/auth/verification';
import { cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { verifyBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/verify — the mailed link's token plus the chosen password: creates the account and signs in. */
export const handler = httpHandler({ body: verifyBody }, async ({ body, event }) => {
  const { user, tokens } = await completeSignup(auth, body, sessionClientOf(event));
  return sessionReply(tokens, cookieOptionsFor(event, auth.config), user);
});
