import { refreshSession } from '../../shared/auth/refresh';
import { cookieOptionsFor, readCookie, REFRESH_COOKIE } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** POST /auth/refresh — the refresh cookie in, a new access token and the rotated cookie out. */
export const handler = httpHandler({ guardOrigin: true }, async ({ header, event }) => {
  const tokens = await refreshSession(auth, readCookie(header('cookie'), REFRESH_COOKIE), sessionClientOf(event));
  return sessionReply(tokens, cookieOptionsFor(event, auth.config));
});
