import type { PublicUser } from '../auth/context';
import type { IssuedTokens } from '../auth/tokens';
import { refreshCookie, type CookieOptions } from './cookies';
import type { HttpReply } from './handler';

/** The reply that starts or continues a session: access token in the body, refresh token only in its cookie. */
export function sessionReply(tokens: IssuedTokens, cookie: CookieOptions, user?: PublicUser): HttpReply {
  return {
    status: 200,
    body: { ...(user ? { user } : {}), accessToken: tokens.accessToken, tokenType: 'Bearer', expiresIn: tokens.expiresIn },
    cookies: [refreshCookie(tokens.refreshToken, tokens.refreshMaxAgeSeconds, cookie)],
  };
}
