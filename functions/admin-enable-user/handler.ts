import { enableUser } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';

const admin = createAdminContext();

/** POST /admin/users/{id}/enable — the account may sign in again. */
export const handler = httpHandler({}, async ({ event }) => {
  await enableUser(admin, userIdOf(event), adminActorOf(event));
  return { status: 204 };
});
