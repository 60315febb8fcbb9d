import type { Config } from '../config';

export const REFRESH_COOKIE = 'refresh_token';
/** The cookie only travels to /auth/* (refresh and logout), never to the rest of the API. */
const REFRESH_COOKIE_PATH = '/auth';

export function refreshCookie(token: string, maxAgeSeconds: number, config: Pick<Config, 'COOKIE_SAMESITE'>): string {
  return [
    `${REFRESH_COOKIE}=${token}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    `Path=${REFRESH_COOKIE_PATH}`,
    'HttpOnly',
    'Secure',
    `SameSite=${config.COOKIE_SAMESITE}`,
  ].join('; ');
}

export function clearedRefreshCookie(config: Pick<Config, 'COOKIE_SAMESITE'>): string {
  return refreshCookie('', 0, config);
}

/** The value of one cookie from a Cookie header (first occurrence wins, as browsers send the most specific first). */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
