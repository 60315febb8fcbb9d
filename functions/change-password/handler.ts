import { changePassword } from '../../shared/auth/account';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { changePasswordBody } from '../../shared/validation';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/** POST /auth/password/change — after step-up (or, for an account without one, its first password); every other session ends, this one stays. */
export const handler = httpHandler({ body: changePasswordBody, authenticated: true }, async ({ body, caller, event }) => {
  await changePassword(auth, caller, body, sessionClientOf(event));
  return { status: 204 };
});
