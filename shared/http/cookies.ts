import type { Config } from '../config';

export const REFRESH_COOKIE = 'refresh_token';
const AUTH_PATH = '/auth';

/**
 * The cookie only travels to /auth/* (refresh and logout), never to the rest of the API. The
 * browser sees the path it called: on a custom domain that is /auth/..., on the execute-api
 * domain /<stage>/auth/... — so the prefix in front of the route (requestContext.path minus the
 * route's path) is kept, or the cookie would never come back.
 */
export function refreshCookiePath(event: { path: string; requestContext?: { path?: string } | null }): string {
  const called = event.requestContext?.path ?? event.path;
  const prefix = called.endsWith(event.path) ? called.slice(0, called.length - event.path.length) : '';
  return /^(\/[\w.~-]+)*$/.test(prefix) ? `${prefix}${AUTH_PATH}` : AUTH_PATH;
}

export interface CookieOptions {
  sameSite: Config['COOKIE_SAMESITE'];
  path: string;
}

/** Cookie attributes for a reply to this request. */
export function cookieOptionsFor(event: Parameters<typeof refreshCookiePath>[0], config: Pick<Config, 'COOKIE_SAMESITE'>): CookieOptions {
  return { sameSite: config.COOKIE_SAMESITE, path: refreshCookiePath(event) };
}

export function refreshCookie(token: string, maxAgeSeconds: number, options: CookieOptions): string {
  return [
    `${REFRESH_COOKIE}=${token}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    `Path=${options.path}`,
    'HttpOnly',
    'Secure',
    `SameSite=${options.sameSite}`,
  ].join('; ');
}

export function clearedRefreshCookie(options: CookieOptions): string {
  return refreshCookie('', 0, options);
}

/**
 * Every Cookie header line of a request, joined as one header (RFC 9113 §8.2.3 splits cookies
 * over several lines; so may any client). API Gateway's `headers` keep only the last line of a
 * repeated header; `multiValueHeaders` hold all of them.
 */
export function joinedCookieHeader(event: {
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
}): string | undefined {
  const isCookie = (name: string) => name.toLowerCase() === 'cookie';
  const allLines = Object.entries(event.multiValueHeaders ?? {}).flatMap(([name, values]) => (isCookie(name) ? (values ?? []) : []));
  const lastLine = Object.entries(event.headers ?? {}).flatMap(([name, value]) => (isCookie(name) && value ? [value] : []));
  const lines = allLines.length ? allLines : lastLine;
  return lines.length ? lines.join('; ') : undefined;
}

/** Every non-empty value of a cookie from a Cookie header, in the order sent (the most specific path first). */
export function readCookies(cookieHeader: string | undefined, name: string): string[] {
  if (!cookieHeader) return [];
  const values: string[] = [];
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (value) values.push(value);
  }
  return values;
}

/** The first value of one cookie from a Cookie header (browsers send the most specific first). */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  return readCookies(cookieHeader, name)[0];
}

// --- Device cookie (login throttling) -------------------------------------------------------

export const DEVICE_COOKIE = 'device';

/**
 * The device cookie only travels to the login route: the refresh cookie's path (stage prefix
 * included) plus /login. Same HttpOnly, Secure and SameSite as the refresh cookie; a year long.
 */
export function deviceCookie(token: string, maxAgeSeconds: number, options: CookieOptions): string {
  return [
    `${DEVICE_COOKIE}=${token}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    `Path=${options.path}/login`,
    'HttpOnly',
    'Secure',
    `SameSite=${options.sameSite}`,
  ].join('; ');
}

export function clearedDeviceCookie(options: CookieOptions): string {
  return deviceCookie('', 0, options);
}
