import { EMAIL_SIGNIN_REQUESTED, requestEmailSignin } from '../../shared/auth/email-signin';
import { httpHandler } from '../../shared/http/handler';
import { sourceIpOf } from '../../shared/http/session-client';
import { createAuthContext } from '../../shared/services';
import { emailSigninBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/email-signin — writes one mail intent; always 202 with the same message. */
export const handler = httpHandler({ body: emailSigninBody }, async ({ body, event }) => {
  await requestEmailSignin(auth, body, sourceIpOf(event));
  return { status: 202, body: { message: EMAIL_SIGNIN_REQUESTED } };
});
