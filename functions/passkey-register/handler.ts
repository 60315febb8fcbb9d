import { registerPasskey } from '../../shared/auth/passkey-registration';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { sessionClientOf } from '../../shared/http/session-client';
import { passkeyRegisterBody, type PasskeyAttestation } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/passkeys/register — the browser's attestation on the caller's registration challenge; the passkey is stored and a notice mailed and a security event recorded. */
export const handler = httpHandler({ body: passkeyRegisterBody, authenticated: true }, async ({ body, caller, event }) => {
  const input = { response: body.response as PasskeyAttestation, ...(body.name ? { name: body.name } : {}) };
  const passkey = await registerPasskey(auth, caller.userId, input, sessionClientOf(event));
  return { status: 201, body: { passkey } };
});
