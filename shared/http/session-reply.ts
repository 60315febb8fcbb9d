import type { PublicUser } from '../auth/context';
import type { IssuedTokens } from '../auth/tokens';
import { DEVICE_TOKEN_LIFETIME_SECONDS, issueDeviceToken } from '../tokens/device-token';
import { deviceCookie, refreshCookie, type CookieOptions } from './cookies';
import type { HttpReply } from './handler';

/**
 * The reply that starts or continues a session: access token in the body, refresh token only in
 * its cookie. A sign-in (login, verify: the replies that name the user) also gets a fresh device
 * cookie, so this browser keeps its own login counter when someone else locks the identifier.
 */
export async function sessionReply(tokens: IssuedTokens, cookie: CookieOptions, user?: PublicUser): Promise<HttpReply> {
  const cookies = [refreshCookie(tokens.refreshToken, tokens.refreshMaxAgeSeconds, cookie)];
  if (user) cookies.push(deviceCookie(await issueDeviceToken(user.id, Date.now()), DEVICE_TOKEN_LIFETIME_SECONDS, cookie));
  return {
    status: 200,
    body: { ...(user ? { user } : {}), accessToken: tokens.accessToken, tokenType: 'Bearer', expiresIn: tokens.expiresIn },
    cookies,
  };
}
