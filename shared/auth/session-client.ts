import { isIP } from 'node:net';

/** Where a session was last used from, as the session list shows it. */
export interface SessionClient {
  userAgent?: string;
  ipAddress?: string;
}

/** Enough for any real browser's User-Agent; a longer one is someone filling our table. */
export const USER_AGENT_MAX_LENGTH = 256;

/**
 * The User-Agent as it may be stored and shown back in a session list: control and invisible
 * format characters (including bidirectional overrides, which could make one device look like
 * another) removed, whitespace runs collapsed, at most USER_AGENT_MAX_LENGTH characters without
 * splitting a surrogate pair. Nothing left: undefined.
 */
export function sanitizeUserAgent(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const cleaned = raw.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/gu, ' ').trim();
  const truncated = Array.from(cleaned).slice(0, USER_AGENT_MAX_LENGTH).join('').trimEnd();
  return truncated || undefined;
}

/** An IPv4 or IPv6 address, or undefined: anything else is not an address to show. */
export function sanitizeIpAddress(raw: string | null | undefined): string | undefined {
  const candidate = raw?.trim();
  return candidate && isIP(candidate) ? candidate : undefined;
}
