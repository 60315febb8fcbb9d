import { resetMfa } from '../../shared/auth/admin';
import { adminActorOf, userIdOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';

const admin = createAdminContext();

/** DELETE /admin/users/{id}/mfa — turns two-factor off; the owner is mailed a notice. */
export const handler = httpHandler({}, async ({ event }) => {
  await resetMfa(admin, userIdOf(event), adminActorOf(event));
  return { status: 204 };
});
