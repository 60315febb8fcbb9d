import { EMAIL_CHANGE_REQUESTED, requestEmailChange } from '../../shared/auth/account';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { changeEmailBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/email/change — after step-up, one mail intent; the same 202 whether or not the address is taken. */
export const handler = httpHandler({ body: changeEmailBody, authenticated: true }, async ({ body, caller }) => {
  await requestEmailChange(auth, caller, body);
  return { status: 202, body: { message: EMAIL_CHANGE_REQUESTED } };
});
