import { confirmIdentityLink } from '../../shared/auth/federation';
import { cookieOptionsFor } from '../../shared/http/cookies';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { sessionReply } from '../../shared/http/session-reply';
import { createAuthContext } from '../../shared/services';
import { identityConfirmBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/identities/confirm — the mailbox owner accepts "connect <provider>?": the identity is linked and the account signed in (or asked for the second factor). */
export const handler = httpHandler({ body: identityConfirmBody }, async ({ body, event }) => {
  const outcome = await confirmIdentityLink(auth, body.token, sessionClientOf(event));
  if ('mfaRequired' in outcome) return { status: 200, body: outcome };
  return sessionReply(outcome.tokens, cookieOptionsFor(event, auth.config), outcome.user);
});
