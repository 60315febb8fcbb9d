import { passkeyLogin } from '../../shared/auth/passkey-authentication';
import { cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { passkeyLoginBody, type PasskeyAssertion } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/passkeys/login — a passkey assertion with user verification signs in (two-factor satisfied), like login. */
export const handler = httpHandler({ body: passkeyLoginBody }, async ({ body, event }) => {
  const { user, tokens } = await passkeyLogin(auth, body.response as PasskeyAssertion, sessionClientOf(event));
  return sessionReply(tokens, cookieOptionsFor(event, auth.config), user);
});
