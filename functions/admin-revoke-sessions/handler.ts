import { revokeSessions } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';

const admin = createAdminContext();

/** DELETE /admin/users/{id}/sessions — signs the user out everywhere. */
export const handler = httpHandler({}, async ({ event }) => {
  await revokeSessions(admin, userIdOf(event), adminActorOf(event));
  return { status: 204 };
});
