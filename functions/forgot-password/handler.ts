import { requestPasswordReset, RESET_REQUESTED } from '../../shared/auth/password-reset';
import { httpHandler } from '../../shared/http/handler';
import { sourceIpOf } from '../../shared/http/session-client';
import { createAuthContext } from '../../shared/services';
import { forgotPasswordBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/password/forgot — writes one mail intent; always 202 with the same message. */
export const handler = httpHandler({ body: forgotPasswordBody }, async ({ body, event }) => {
  await requestPasswordReset(auth, body, sourceIpOf(event));
  return { status: 202, body: { message: RESET_REQUESTED } };
});
