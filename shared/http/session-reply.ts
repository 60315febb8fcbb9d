import type { PublicUser } from '../auth/context';
import type { IssuedTokens } from '../auth/tokens';
import { DEVICE_TOKEN_LIFETIME_SECONDS } from '../tokens/device-token';
import { deviceCookie, refreshCookie, type CookieOptions } from './cookies';
import type { HttpReply } from './handler';

/**
 * The reply that starts or continues a session: access token in the body, refresh token only in
 * its cookie. A sign-in from a browser the account does not trust yet also gets the device cookie
 * the rules recorded (shared/auth/devices.ts), so this browser keeps its own login counter when
 * someone else locks the identifier; a trusted browser keeps the cookie it has.
 */
export function sessionReply(tokens: IssuedTokens, cookie: CookieOptions, user?: PublicUser): HttpReply {
  const cookies = [refreshCookie(tokens.refreshToken, tokens.refreshMaxAgeSeconds, cookie)];
  if (tokens.deviceToken) cookies.push(deviceCookie(tokens.deviceToken, DEVICE_TOKEN_LIFETIME_SECONDS, cookie));
  return {
    status: 200,
    body: { ...(user ? { user } : {}), accessToken: tokens.accessToken, tokenType: 'Bearer', expiresIn: tokens.expiresIn },
    cookies,
  };
}
