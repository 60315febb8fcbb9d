import { resetPassword } from '../../shared/auth/password-reset';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { resetPasswordBody } from '../../shared/validation';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/** POST /auth/password/reset — the mailed link's token and a new password; signs everyone out, signs nobody in. */
export const handler = httpHandler({ body: resetPasswordBody }, async ({ body, event }) => {
  await resetPassword(auth, body, sessionClientOf(event));
  return { status: 204 };
});
