import { confirmEmailChange } from '../../shared/auth/email-confirmation';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { confirmEmailBody } from '../../shared/validation';
import { sessionClientOf } from '../../shared/http/session-client';

const auth = createAuthContext();

/** POST /auth/email/confirm — the link mailed to the new address: the account moves to it. */
export const handler = httpHandler({ body: confirmEmailBody }, async ({ body, event }) => {
  return { status: 200, body: { user: await confirmEmailChange(auth, body, sessionClientOf(event)) } };
});
