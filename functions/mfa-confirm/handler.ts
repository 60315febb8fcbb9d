import { confirmTotp } from '../../shared/auth/mfa';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { mfaConfirmBody } from '../../shared/validation';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/**
 * POST /auth/mfa/totp/confirm — a code from the pending secret turns two-factor on and shows the
 * recovery codes once; every other session ends unless the body says `signOutOtherSessions: false`.
 */
export const handler = httpHandler({ body: mfaConfirmBody, authenticated: true }, async ({ body, caller, event }) => {
  return { status: 200, body: await confirmTotp(auth, caller, body, sessionClientOf(event)) };
});
