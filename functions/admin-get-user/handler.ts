import { getUser } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';

const admin = createAdminContext();

/** GET /admin/users/{id} — the user, its roles, whether it is disabled, its sign-in methods and live sessions. */
export const handler = httpHandler({}, async ({ event }) => {
  adminActorOf(event);
  return { status: 200, body: await getUser(admin, userIdOf(event)) };
});
