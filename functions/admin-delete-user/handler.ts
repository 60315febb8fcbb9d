import { deleteUser } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';

const admin = createAdminContext();

/** DELETE /admin/users/{id} — deletes the account; the owner is mailed a notice. */
export const handler = httpHandler({}, async ({ event }) => {
  await deleteUser(admin, userIdOf(event), adminActorOf(event));
  return { status: 204 };
});
