import { checkedReturnTo, providerOf, startFlow } from '../../shared/auth/federation';
import { flowCookie } from '../../shared/http/federation-reply';
import { httpHandler } from '../../shared/http/handler';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();

/** GET /auth/oauth/{provider}/start?returnTo=/path — a navigation: the flow is stored, its cookie set, the browser sent to the provider. */
export const handler = httpHandler({}, async ({ event }) => {
  const provider = providerOf(auth, event.pathParameters?.provider);
  const returnTo = checkedReturnTo(event.queryStringParameters?.returnTo);
  const flow = await startFlow(auth, provider, { returnTo, intent: 'signin' });
  return { status: 302, headers: { Location: flow.authorizationUrl }, cookies: [flowCookie(flow.browserSecret, event)] };
});
