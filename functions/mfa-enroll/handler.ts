import { enrollTotp } from '../../shared/auth/mfa';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { mfaEnrollBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/mfa/totp/enroll — the password buys a new TOTP secret, pending until a code from it is confirmed. */
export const handler = httpHandler({ body: mfaEnrollBody, authenticated: true }, async ({ body, caller }) => {
  return { status: 200, body: await enrollTotp(auth, caller.userId, body.password) };
});
