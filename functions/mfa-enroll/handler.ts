import { enrollTotp } from '../../shared/auth/mfa-settings';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { stepUpBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/mfa/totp/enroll — step-up buys a new TOTP secret, pending until a code from it is confirmed. */
export const handler = httpHandler({ body: stepUpBody, authenticated: true }, async ({ body, caller }) => {
  return { status: 200, body: await enrollTotp(auth, caller, body) };
});
