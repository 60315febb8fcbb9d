import { regenerateRecoveryCodes } from '../../shared/auth/mfa';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { mfaStepUpBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/mfa/recovery-codes — password and a second factor buy a fresh set of recovery codes; the old set is dead. */
export const handler = httpHandler({ body: mfaStepUpBody, authenticated: true }, async ({ body, caller }) => {
  return { status: 200, body: await regenerateRecoveryCodes(auth, caller.userId, body) };
});
