import { revokeSession } from '../../shared/auth/sessions';
import { clearedRefreshCookie, cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/** DELETE /auth/sessions/{id} — ends one of the caller's sessions; ending the current one also clears its cookie, like logout. */
export const handler = httpHandler({ guardOrigin: true, authenticated: true }, async ({ caller, event }) => {
  const { wasCurrent } = await revokeSession(auth, caller, event.pathParameters?.id, sessionClientOf(event));
  return { status: 204, ...(wasCurrent ? { cookies: [clearedRefreshCookie(cookieOptionsFor(event, auth.config))] } : {}) };
});
