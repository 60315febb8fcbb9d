import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { getMfaKey } from '../keys';

/**
 * TOTP secrets at rest: AES-256-GCM under the server's MFA key, a fresh 96-bit IV each time, the
 * user id as additional data so a ciphertext copied onto another account does not decrypt.
 * Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url), so a later key or scheme can be told apart.
 */
const VERSION = 'v1';
const IV_BYTES = 12;

export async function encryptTotpSecret(userId: string, secret: string, key?: Buffer): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key ?? (await getMfaKey()), iv);
  cipher.setAAD(Buffer.from(userId));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** The secret, or a thrown error when the ciphertext was altered, moved to another user or made under another key. */
export async function decryptTotpSecret(userId: string, stored: string, key?: Buffer): Promise<string> {
  const [version, iv, ciphertext, tag, ...rest] = stored.split('.');
  if (version !== VERSION || !iv || ciphertext === undefined || !tag || rest.length > 0) throw new Error('unreadable TOTP secret');
  const decipher = createDecipheriv('aes-256-gcm', key ?? (await getMfaKey()), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(userId));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
