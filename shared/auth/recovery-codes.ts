import { createHash, randomInt } from 'node:crypto';

/**
 * Recovery codes: 10 per set, each 10 characters of Crockford's base32 (50 random bits) shown as
 * two groups of five, e.g. `7kq3m-x9d2h`. The alphabet has no I, L, O or U, and reading one back
 * folds case, spaces, dashes and the look-alikes (i, l -> 1; o -> 0), so a code copied by hand works.
 *
 * Stored as SHA-256 of the user id and the code. A fast hash is enough here because the input is
 * random, not chosen: 50 bits means about 5.6e14 hashes on average to find one code of one user
 * from a stolen table (the user id as salt rules out precomputed tables across users), while
 * online guessing goes through the throttle. A slow hash would only matter for low-entropy input
 * such as passwords.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = 10;

export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** The canonical form of a typed code, or undefined when it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const folded = input
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  return folded.length === CODE_LENGTH && [...folded].every((c) => ALPHABET.includes(c)) ? folded : undefined;
}

/** The stored form of a code (any typed form of it), or undefined when it cannot be one. */
export function hashRecoveryCode(userId: string, input: string): string | undefined {
  const code = normalizeRecoveryCode(input);
  return code === undefined ? undefined : createHash('sha256').update(`${userId}\n${code}`).digest('base64url');
}
