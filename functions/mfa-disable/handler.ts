import { disableTotp } from '../../shared/auth/mfa';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { mfaStepUpBody } from '../../shared/validation';

const auth = createAuthContext();

/** DELETE /auth/mfa/totp — password and a second factor turn two-factor off. */
export const handler = httpHandler({ body: mfaStepUpBody, authenticated: true }, async ({ body, caller }) => {
  await disableTotp(auth, caller.userId, body);
  return { status: 204 };
});
