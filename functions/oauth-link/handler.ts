import { startLink } from '../../shared/auth/federation-account';
import { flowCookie } from '../../shared/http/federation-reply';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';
import { oauthLinkBody } from '../../shared/validation';

const auth = createAuthContext();

/** POST /auth/oauth/{provider}/link — after step-up, a flow that connects the provider to the caller's account; the page then navigates to authorizationUrl. */
export const handler = httpHandler({ body: oauthLinkBody, guardOrigin: true, authenticated: true }, async ({ body, caller, event }) => {
  const flow = await startLink(auth, caller, event.pathParameters?.provider, body);
  return { status: 200, body: { authorizationUrl: flow.authorizationUrl }, cookies: [flowCookie(flow.browserSecret, event)] };
});
