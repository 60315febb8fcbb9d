import { login } from '../../shared/auth/login';
import { cookieOptionsFor, DEVICE_COOKIE, readCookie } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { loginBody } from '../../shared/validation';

const auth = createAuthContext();

/**
 * POST /auth/login — email or username plus password (and the device cookie, if any); starts a new
 * session, or with two-factor on answers an mfaToken for POST /auth/mfa/verify (no cookie, no token).
 */
export const handler = httpHandler({ body: loginBody }, async ({ body, header, event }) => {
  const outcome = await login(auth, { ...body, deviceToken: readCookie(header('cookie'), DEVICE_COOKIE) }, sessionClientOf(event));
  if ('mfaRequired' in outcome) return { status: 200, body: outcome };
  return sessionReply(outcome.tokens, cookieOptionsFor(event, auth.config), outcome.user);
});
