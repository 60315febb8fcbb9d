import { createHash, randomInt } from 'node:crypto';
import { newVerificationToken } from './verification-token';

/**
 * A mailed sign-in: a link token (256 random bits, as every mailed link) and a 6-digit code for
 * typing on another device. Only hashes are stored; the code's hash includes its address, so a
 * code is looked up only for the address it was mailed to.
 */
export const EMAIL_SIGNIN_TTL_SECONDS = 15 * 60;
/**
 * Attempts a mailed code allows, however long the throttle's back-off lets one wait between them:
 * the sixth is refused even with the right code (a new mail brings a new code and a new budget).
 */
export const EMAIL_SIGNIN_CODE_ATTEMPTS = 5;

export function newEmailSignin(email: string): { token: string; tokenHash: string; code: string; codeHash: string; addressHash: string } {
  const { token, tokenHash } = newVerificationToken();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  return { token, tokenHash, code, codeHash: hashEmailSigninCode(email, code), addressHash: hashEmailSigninAddress(email) };
}

/** Where the attempt budget of an address's newest code is kept: the address itself is never stored. */
export function hashEmailSigninAddress(email: string): string {
  return createHash('sha256').update(`codes:${email}`).digest('base64url');
}

export function hashEmailSigninCode(email: string, code: string): string {
  return createHash('sha256').update(`${email}:${code}`).digest('base64url');
}
