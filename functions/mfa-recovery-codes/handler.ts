import { regenerateRecoveryCodes } from '../../shared/auth/mfa-settings';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { stepUpBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/mfa/recovery-codes — step-up (password or passkey, and a second factor) buys a fresh set of recovery codes; the old set is dead. */
export const handler = httpHandler({ body: stepUpBody, authenticated: true }, async ({ body, caller }) => {
  return { status: 200, body: await regenerateRecoveryCodes(auth, caller, body) };
});
