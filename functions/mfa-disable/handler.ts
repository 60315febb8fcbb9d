import { disableTotp } from '../../shared/auth/mfa-settings';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { stepUpBody } from '../../shared/validation';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/** DELETE /auth/mfa/totp — step-up (password or passkey, and a second factor) turns two-factor off. */
export const handler = httpHandler({ body: stepUpBody, authenticated: true }, async ({ body, caller, event }) => {
  await disableTotp(auth, caller, body, sessionClientOf(event));
  return { status: 204 };
});
