import type { Config } from '../config';
import type { CallbackOutcome } from '../auth/federation';
import { FLOW_COOKIE, FLOW_TTL_SECONDS } from '../auth/federation';
import { refreshCookie, refreshCookiePath, type CookieOptions } from './cookies';
import type { HttpReply } from './handler';

/**
 * The flow cookie binds a provider flow to the browser that started it. SameSite=None, so a
 * provider that posts its answer back (form_post, a cross-site POST) still brings it; HttpOnly,
 * Secure, 10 minutes, and only on the provider routes (<stage>/auth/oauth).
 */
export function flowCookie(value: string, event: Parameters<typeof refreshCookiePath>[0], maxAgeSeconds = FLOW_TTL_SECONDS): string {
  return [`${FLOW_COOKIE}=${value}`, `Max-Age=${maxAgeSeconds}`, `Path=${refreshCookiePath(event)}/oauth`, 'HttpOnly', 'Secure', 'SameSite=None'].join('; ');
}

/** A page of the app: `<APP_URL><path>`. */
export function appUrl(config: Pick<Config, 'APP_URL'>, path: string): string {
  return `${config.APP_URL.replace(/\/+$/, '')}${path}`;
}

/**
 * The callback's reply: always 303 to the app, never problem+json (the browser is navigating).
 * The flow cookie is cleared whatever happened; a session comes only as the refresh cookie (no
 * token in any URL), a second step as the mfaToken in the fragment (never sent to a server).
 */
export function callbackRedirect(outcome: CallbackOutcome, config: Pick<Config, 'APP_URL'>, event: Parameters<typeof refreshCookiePath>[0], cookie: CookieOptions): HttpReply {
  const cookies = [flowCookie('', event, 0)];
  let path: string;
  switch (outcome.kind) {
    case 'signed_in':
      cookies.push(refreshCookie(outcome.tokens.refreshToken, outcome.tokens.refreshMaxAgeSeconds, cookie));
      path = outcome.returnTo;
      break;
    case 'back':
      path = outcome.returnTo;
      break;
    case 'second_factor':
      path = `/mfa#mfaToken=${encodeURIComponent(outcome.mfaToken)}`;
      break;
    case 'notice':
      path = `/signin#notice=${outcome.notice}`;
      break;
    case 'error':
      path = `/signin#error=${outcome.error}`;
      break;
  }
  return { status: 303, headers: { Location: appUrl(config, path) }, cookies };
}
