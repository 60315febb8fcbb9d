import { login } from '../../shared/auth/login';
import { cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { loginBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/login — email or username plus password; starts a new session. */
export const handler = httpHandler({ body: loginBody }, async ({ body, event }) => {
  const { user, tokens } = await login(auth, body, sessionClientOf(event));
  return sessionReply(tokens, cookieOptionsFor(event, auth.config), user);
});
