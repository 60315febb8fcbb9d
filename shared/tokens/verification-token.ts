import { createHash, randomBytes } from 'node:crypto';

/**
 * Verification links carry 256 random bits; only their SHA-256 is stored, so the table cannot
 * be used to verify someone else's address. A fast hash is right here: the input is random.
 */
export function newVerificationToken(): { token: string; tokenHash: string } {
  const token = `vt1_${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: hashVerificationToken(token) };
}

export function hashVerificationToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
