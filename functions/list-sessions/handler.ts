import { listSessions } from '../../shared/auth/sessions';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** GET /auth/sessions — the caller's live sessions, newest first, the current one marked. */
export const handler = httpHandler({ authenticated: true }, async ({ caller }) => {
  return { status: 200, body: { sessions: await listSessions(auth, caller) } };
});
