import { confirmEmailChange } from '../../shared/auth/email-confirmation';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { confirmEmailBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/email/confirm — the link mailed to the new address: the account moves to it. */
export const handler = httpHandler({ body: confirmEmailBody }, async ({ body }) => {
  return { status: 200, body: { user: await confirmEmailChange(auth, body) } };
});
