import { registerPasskey } from '../../shared/auth/passkeys';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { passkeyRegisterBody, type PasskeyAttestation } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/passkeys/register — the browser's attestation on the caller's registration challenge; the passkey is stored and a notice mailed. */
export const handler = httpHandler({ body: passkeyRegisterBody, authenticated: true }, async ({ body, caller }) => {
  const passkey = await registerPasskey(auth, caller.userId, { response: body.response as PasskeyAttestation, ...(body.name ? { name: body.name } : {}) });
  return { status: 201, body: { passkey } };
});
