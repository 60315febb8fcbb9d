import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { getConfig } from './config';

/**
 * scrypt password hashes in a self-describing string, so the cost can be raised later and old
 * hashes upgraded on the next successful login:  scrypt$N=131072,r=8,p=1$<salt>$<hash>
 * (base64url, 16-byte salt, 32-byte hash). Defaults are OWASP's: N=2^17, r=8, p=1.
 */
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const R = 8;
const P = 1;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is below that for N=2^17.
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function currentParams(): ScryptParams {
  return { N: getConfig().SCRYPT_N, r: R, p: P };
}

function encode(params: ScryptParams, salt: Buffer, key: Buffer): string {
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function decode(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const match = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(stored);
  if (!match) return undefined;
  const [, N, r, p, salt, key] = match;
  return { params: { N: Number(N), r: Number(r), p: Number(p) }, salt: Buffer.from(salt!, 'base64url'), key: Buffer.from(key!, 'base64url') };
}

export async function hashPassword(password: string): Promise<string> {
  const params = currentParams();
  const salt = randomBytes(SALT_BYTES);
  return encode(params, salt, await scrypt(password, salt, params));
}

/**
 * Constant-time check. With no stored hash (unknown user) it hashes against a dummy of the
 * current cost, so the reply takes as long as a wrong password for a real account.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const decoded = stored ? decode(stored) : undefined;
  const target = decoded ?? { params: currentParams(), salt: Buffer.alloc(SALT_BYTES), key: Buffer.alloc(KEY_BYTES) };
  const key = await scrypt(password, target.salt, target.params);
  return decoded !== undefined && key.length === target.key.length && timingSafeEqual(key, target.key);
}

/** True when the stored hash was made with other parameters than today's: rehash on login. */
export function needsRehash(stored: string): boolean {
  const decoded = decode(stored);
  const params = currentParams();
  return !decoded || decoded.params.N !== params.N || decoded.params.r !== params.r || decoded.params.p !== params.p;
}
