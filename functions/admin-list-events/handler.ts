import { listEvents } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { validate } from '../../shared/http/validate';
import { createAdminContext } from '../../shared/services';
import { adminListEventsQuery } from '../../shared/validation';

const admin = createAdminContext();

/** GET /admin/users/{id}/events — the user's security events, newest first, a page at a time. */
export const handler = httpHandler({}, async ({ event }) => {
  adminActorOf(event);
  return { status: 200, body: await listEvents(admin, userIdOf(event), validate(adminListEventsQuery, event.queryStringParameters ?? {})) };
});
