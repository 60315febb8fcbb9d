import { completeMfaLogin } from '../../shared/auth/mfa';
import { cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { mfaVerifyBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/mfa/verify — the login's second step: the mfaToken plus a TOTP code or a recovery code; signs in like login. */
export const handler = httpHandler({ body: mfaVerifyBody }, async ({ body, event }) => {
  const { user, tokens } = await completeMfaLogin(auth, body, sessionClientOf(event));
  return sessionReply(tokens, cookieOptionsFor(event, auth.config), user);
});
