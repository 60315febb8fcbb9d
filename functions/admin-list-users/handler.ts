import { listUsers } from '../../shared/auth/admin';
import { adminActorOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { validate } from '../../shared/http/validate';
import { createAdminContext } from '../../shared/services';
import { adminListUsersQuery } from '../../shared/validation';

const admin = createAdminContext();

/** GET /admin/users?limit&cursor&emailPrefix — users in email order, through the sparse index (no scans). */
export const handler = httpHandler({}, async ({ event }) => {
  adminActorOf(event);
  return { status: 200, body: await listUsers(admin, validate(adminListUsersQuery, event.queryStringParameters ?? {})) };
});
