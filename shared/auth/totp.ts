import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 through the otpauth library (node:crypto underneath): SHA-1, 6 digits, 30-second
 * steps, the step before and after accepted for clock drift. Only the two-factor functions
 * import this module, so no other bundle carries the library.
 */
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW = 1;
/** 160 bits: the HMAC-SHA-1 key length RFC 4226 recommends. */
const SECRET_BYTES = 20;

const totpOf = (secret: string, label = 'account', issuer = '') =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, label, issuer });

/** A fresh secret, base32 (what authenticator apps take when typed by hand). */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** `otpauth://totp/<issuer>:<email>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30` for the QR code. */
export function otpauthUri(secret: string, issuer: string, accountName: string): string {
  return totpOf(secret, accountName, issuer).toString();
}

/** The time step of a moment (epoch ms). */
export function timeStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
}

/** The time step `code` belongs to within the window around `now`, or undefined when it matches none. */
export function matchingStep(secret: string, code: string, now: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpOf(secret).validate({ token: code, timestamp: now, window: TOTP_WINDOW });
  return delta === null ? undefined : timeStep(now) + delta;
}

/** The code of a time step (tests and the demo's end-to-end test compute codes this way). */
export function codeAt(secret: string, now: number): string {
  return totpOf(secret).generate({ timestamp: now });
}
