import { listPasskeys } from '../../shared/auth/passkeys';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** GET /auth/passkeys — the caller's passkeys, newest first. */
export const handler = httpHandler({ authenticated: true }, async ({ caller }) => {
  return { status: 200, body: { passkeys: await listPasskeys(auth, caller.userId) } };
});
