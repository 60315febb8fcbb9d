import { listSessions } from '../../shared/auth/sessions';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** GET /auth/sessions — the caller's live sessions, newest first, the current one marked, and the devices the account trusts. */
export const handler = httpHandler({ authenticated: true }, async ({ caller }) => {
  return { status: 200, body: await listSessions(auth, caller) };
});
