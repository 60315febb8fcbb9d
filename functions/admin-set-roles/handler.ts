import { setRoles } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';
import { adminRolesBody } from '../../shared/validation';

const admin = createAdminContext();

/** PUT /admin/users/{id}/roles — the roles from now on (in tokens from each session's next refresh). */
export const handler = httpHandler({ body: adminRolesBody }, async ({ body, event }) => {
  return { status: 200, body: await setRoles(admin, userIdOf(event), body, adminActorOf(event)) };
});
