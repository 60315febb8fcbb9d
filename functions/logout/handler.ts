import { logout } from '../../shared/auth/logout';
import { clearedRefreshCookie, cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { logoutBody } from '../../shared/validation';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/** POST /auth/logout — revokes this session (or all of the user's) and clears the refresh cookie. */
export const handler = httpHandler({ body: logoutBody, guardOrigin: true, authenticated: true }, async ({ body, caller, event }) => {
  await logout(auth, caller, body.scope, sessionClientOf(event));
  return { status: 204, cookies: [clearedRefreshCookie(cookieOptionsFor(event, auth.config))] };
});
