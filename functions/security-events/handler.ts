import { httpHandler } from '../../shared/http/handler';
import { SECURITY_EVENTS_SHOWN, eventView } from '../../shared/security-events';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** GET /me/security-events — the caller's last 50 security events, newest first. */
export const handler = httpHandler({ authenticated: true }, async ({ caller }) => {
  const { events } = await auth.events.listOfUser(caller.userId, SECURITY_EVENTS_SHOWN, auth.now());
  return { status: 200, body: { events: events.map(eventView) } };
});
