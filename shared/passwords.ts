import crypto, { randomBytes, timingSafeEqual } from 'node:crypto';
import { getConfig } from './config';

/**
 * Password hashes in self-describing strings, so the cost can be raised later and old hashes
 * upgraded on the next successful login.
 *
 * Today's algorithm is argon2id (OWASP: m=19456 KiB, t=2, p=1) from node:crypto, written the
 * PHC way:  $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>  (base64url, 16-byte salt, 32-byte hash).
 * Hashes of the first version, scrypt$N=131072,r=8,p=1$<salt>$<hash>, still verify; login
 * replaces them (needsRehash).
 *
 * Passwords arrive here already NFKC-normalized by the input validation: hashing is byte-exact.
 * The scrypt hashes were made on NFKC strings too, so they verify against the same input.
 */
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const ARGON2_VERSION = 19;
const ARGON2_PARALLELISM = 1;

// Fail at cold start, not at the first login: crypto.argon2 exists from Node 24.7 on.
if (typeof crypto.argon2 !== 'function') {
  throw new Error(`Password hashing needs crypto.argon2 (Node.js >= 24.7); this runtime is Node.js ${process.versions.node}`);
}

interface Argon2Params {
  m: number;
  t: number;
  p: number;
}

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

type Decoded = { kind: 'argon2id'; params: Argon2Params; salt: Buffer; key: Buffer } | { kind: 'scrypt'; params: ScryptParams; salt: Buffer; key: Buffer };

function argon2id(password: string, salt: Buffer, params: Argon2Params): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.argon2(
      'argon2id',
      { message: password, nonce: salt, memory: params.m, passes: params.t, parallelism: params.p, tagLength: KEY_BYTES },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is below that for N=2^17.
  const options: crypto.ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    crypto.scrypt(password, salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function currentParams(): Argon2Params {
  const config = getConfig();
  return { m: config.ARGON2_MEMORY_KIB, t: config.ARGON2_PASSES, p: ARGON2_PARALLELISM };
}

function encode(params: Argon2Params, salt: Buffer, key: Buffer): string {
  return `$argon2id$v=${ARGON2_VERSION}$m=${params.m},t=${params.t},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const argon2Format = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/;
const scryptFormat = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/;

function decode(stored: string): Decoded | undefined {
  const argon = argon2Format.exec(stored);
  if (argon) {
    const [, m, t, p, salt, key] = argon;
    return { kind: 'argon2id', params: { m: Number(m), t: Number(t), p: Number(p) }, salt: Buffer.from(salt!, 'base64url'), key: Buffer.from(key!, 'base64url') };
  }
  const legacy = scryptFormat.exec(stored);
  if (legacy) {
    const [, N, r, p, salt, key] = legacy;
    return { kind: 'scrypt', params: { N: Number(N), r: Number(r), p: Number(p) }, salt: Buffer.from(salt!, 'base64url'), key: Buffer.from(key!, 'base64url') };
  }
  return undefined;
}

function derive(password: string, target: Decoded): Promise<Buffer> {
  return target.kind === 'argon2id' ? argon2id(password, target.salt, target.params) : scrypt(password, target.salt, target.params);
}

export async function hashPassword(password: string): Promise<string> {
  const params = currentParams();
  const salt = randomBytes(SALT_BYTES);
  return encode(params, salt, await argon2id(password, salt, params));
}

/**
 * Constant-time check. With no stored hash (unknown user) it hashes against a dummy of today's
 * algorithm and cost, so the reply takes as long as a wrong password for a real account.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const decoded = stored ? decode(stored) : undefined;
  const target: Decoded = decoded ?? { kind: 'argon2id', params: currentParams(), salt: Buffer.alloc(SALT_BYTES), key: Buffer.alloc(KEY_BYTES) };
  const key = await derive(password, target);
  return decoded !== undefined && key.length === target.key.length && timingSafeEqual(key, target.key);
}

/** True when the stored hash is not today's algorithm with today's cost: rehash on login. */
export function needsRehash(stored: string): boolean {
  const decoded = decode(stored);
  if (decoded?.kind !== 'argon2id') return true;
  const params = currentParams();
  return decoded.params.m !== params.m || decoded.params.t !== params.t || decoded.params.p !== params.p;
}
