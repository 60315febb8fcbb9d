import { disableUser } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';

const admin = createAdminContext();

/** POST /admin/users/{id}/disable — no sign-in by any method from now on; every session ends at once. */
export const handler = httpHandler({}, async ({ event }) => {
  await disableUser(admin, userIdOf(event), adminActorOf(event));
  return { status: 204 };
});
