import { passkeyRegistrationOptions } from '../../shared/auth/passkeys';
import { stepUp } from '../../shared/auth/step-up';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { stepUpBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/passkeys/register/options — after step-up, creation options whose challenge only this user can register with. */
export const handler = httpHandler({ body: stepUpBody, authenticated: true }, async ({ body, caller }) => {
  const user = await stepUp(auth, caller, body);
  return { status: 200, body: await passkeyRegistrationOptions(auth, user) };
});
