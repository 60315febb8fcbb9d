import { currentUser } from '../../shared/auth/current-user';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** GET /me — the example protected route: the signed-in user. */
export const handler = httpHandler({ authenticated: true }, async ({ caller }) => {
  return { status: 200, body: { user: await currentUser(auth, caller.userId) } };
});
