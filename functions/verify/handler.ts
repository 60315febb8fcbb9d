import { verifyEmail } from '../../shared/auth/verification';
import { cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { verifyBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/verify — consumes the mailed link token, activates the account and signs the user in. */
export const handler = httpHandler({ body: verifyBody }, async ({ body, event }) => {
  const { user, tokens } = await verifyEmail(auth, body.token, sessionClientOf(event));
  return sessionReply(tokens, cookieOptionsFor(event, auth.config), user);
});
