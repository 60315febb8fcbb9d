import { completeCallback, FLOW_COOKIE } from '../../shared/auth/federation';
import { cookieOptionsFor, readCookie } from '../../shared/http/cookies';
import { callbackRedirect } from '../../shared/http/federation-reply';
import { httpHandler } from '../../shared/http/handler';
import { sessionClientOf } from '../../shared/http/session-client';
import { createAuthContext } from '../../shared/services';

const auth = createAuthContext();
const FORM_MAX_BYTES = 16 * 1024;

/** The provider's answer: the query of a GET, or the form a provider posts (response_mode=form_post). */
function callbackParameters(event: { httpMethod: string; queryStringParameters: Record<string, string | undefined> | null; body: string | null; isBase64Encoded: boolean }): URLSearchParams {
  if (event.httpMethod !== 'POST') {
    return new URLSearchParams(Object.entries(event.queryStringParameters ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]])));
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  return new URLSearchParams(raw.length <= FORM_MAX_BYTES ? raw : '');
}

/** GET or POST /auth/oauth/{provider}/callback — back from the provider: always a 303 to the app, signed in, asked for the second factor, told to check the mailbox, or told why not. */
export const handler = httpHandler({}, async ({ event, header }) => {
  const outcome = await completeCallback(auth, event.pathParameters?.provider, callbackParameters(event), readCookie(header('cookie'), FLOW_COOKIE), sessionClientOf(event));
  return callbackRedirect(outcome, auth.config, event, cookieOptionsFor(event, auth.config));
});
