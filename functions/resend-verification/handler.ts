import { resendVerification, RESEND_ACCEPTED } from '../../shared/auth/registration';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { resendBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/verify/resend — always 202: it never tells whether the address has an account. */
export const handler = httpHandler({ body: resendBody }, async ({ body }) => {
  await resendVerification(auth, body.email);
  return { status: 202, body: { message: RESEND_ACCEPTED } };
});
