import { passkeyLoginOptions } from '../../shared/auth/passkeys';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** POST /auth/passkeys/login/options — a fresh single-use challenge for a usernameless (or autofill) passkey sign-in, or a passkey step-up. */
export const handler = httpHandler({}, async () => {
  return { status: 200, body: await passkeyLoginOptions(auth) };
});
