import { disableTotp } from '../../shared/auth/mfa';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { mfaStepUpBody } from '../../shared/validation';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/** DELETE /auth/mfa/totp — password and a second factor turn two-factor off. */
export const handler = httpHandler({ body: mfaStepUpBody, authenticated: true }, async ({ body, caller, event }) => {
  await disableTotp(auth, caller.userId, body, sessionClientOf(event));
  return { status: 204 };
});
