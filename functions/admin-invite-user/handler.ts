import { inviteUser } from '../../shared/auth/admin';
import { adminActorOf } from '../../shared/http/admin';
import { httpHandler } from '../../shared/http/handler';
import { createAdminContext } from '../../shared/services';
import { adminInviteBody } from '../../shared/validation';

const admin = createAdminContext();

/** POST /admin/users — an invitation: a sign-up link mailed to the address, presetting the roles. */
export const handler = httpHandler({ body: adminInviteBody }, async ({ body, event }) => {
  await inviteUser(admin, body, adminActorOf(event));
  return { status: 202, body: { message: 'If the address has no account yet, an invitation is on its way.' } };
});
