import { signupAddress } from '../../shared/auth/signup-address';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { signupAddressBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/verify/address — the address of a mailed sign-up token, the token left unused. */
export const handler = httpHandler({ body: signupAddressBody }, async ({ body }) => {
  return { status: 200, body: { email: await signupAddress(auth, body.token) } };
});
