import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as z from 'zod/mini';
import { getConfig } from './config';
import { readSecretString } from './aws/secrets';
import { cachedLoader, SECRET_CACHE_MS } from './cached-loader';

/**
 * Key material, loaded from the environment (local stack, tests) or from Secrets Manager (AWS).
 * Formats (the same in both places):
 *   signing key  JWT_PRIVATE_KEY[_SECRET_ID]  {"kid":"<kid>","privateKey":"<PKCS#8 PEM, P-256>"}
 *   public keys  JWT_PUBLIC_KEYS[_SECRET_ID]  {"keys":[{"kid":"<kid>","publicKey":"<SPKI PEM>"}]}
 *   refresh key  REFRESH_TOKEN_KEY[_SECRET_ID] base64url of at least 32 random bytes
 *   MFA key      MFA_SECRET_KEY[_SECRET_ID]    base64url of exactly 32 random bytes (AES-256-GCM)
 * Rotation publishes a new public key first, then switches the signing key; old public keys stay
 * until every token they signed has expired.
 */
const kidPattern = /^[A-Za-z0-9_-]{1,64}$/;

const signingKeySchema = z.object({ kid: z.string().check(z.regex(kidPattern)), privateKey: z.string().check(z.minLength(1)) });
const publicKeysSchema = z.object({
  keys: z.array(z.object({ kid: z.string().check(z.regex(kidPattern)), publicKey: z.string().check(z.minLength(1)) })).check(z.minLength(1)),
});

export interface SigningKey {
  kid: string;
  /** Parsed once: jsonwebtoken would otherwise parse a PEM string on every signature (~1 ms). */
  privateKey: KeyObject;
}

/** Keys re-read after this long, so a rotation reaches warm functions without a redeploy. */
export const KEY_CACHE_MS = SECRET_CACHE_MS;
/** An unknown kid triggers a re-read, but at most this often, so forged kids cannot hammer the secret. */
const UNKNOWN_KID_REFRESH_MS = 60_000;

async function readKeySource(valueVar: keyof ReturnType<typeof getConfig>, secretVar: keyof ReturnType<typeof getConfig>): Promise<string> {
  const config = getConfig();
  const value = config[valueVar];
  if (typeof value === 'string' && value.length > 0) return value;
  const secretId = config[secretVar];
  if (typeof secretId === 'string' && secretId.length > 0) return readSecretString(secretId);
  throw new Error(`Invalid configuration: set ${valueVar} or ${secretVar}`);
}

function parseJson<T>(raw: string, schema: z.ZodMiniType<T>, name: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`Invalid configuration: ${name} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`Invalid configuration: ${name} has the wrong shape`);
  return parsed.data;
}

const signingKeyLoader = cachedLoader(async () => {
  const raw = await readKeySource('JWT_PRIVATE_KEY', 'JWT_PRIVATE_KEY_SECRET_ID');
  const { kid, privateKey } = parseJson(raw, signingKeySchema, 'JWT_PRIVATE_KEY');
  return { kid, privateKey: createPrivateKey(privateKey) };
}, KEY_CACHE_MS);

const publicKeysLoader = cachedLoader(async () => {
  const raw = await readKeySource('JWT_PUBLIC_KEYS', 'JWT_PUBLIC_KEYS_SECRET_ID');
  const { keys } = parseJson(raw, publicKeysSchema, 'JWT_PUBLIC_KEYS');
  const byKid = new Map<string, KeyObject>();
  for (const key of keys) byKid.set(key.kid, createPublicKey(key.publicKey));
  return byKid;
}, KEY_CACHE_MS);

const refreshKeyLoader = cachedLoader(async () => {
  const raw = await readKeySource('REFRESH_TOKEN_KEY', 'REFRESH_TOKEN_KEY_SECRET_ID');
  const key = Buffer.from(raw.trim(), 'base64url');
  if (key.length < 32) throw new Error('Invalid configuration: REFRESH_TOKEN_KEY must hold at least 32 bytes (base64url)');
  return key;
}, KEY_CACHE_MS);

const mfaKeyLoader = cachedLoader(async () => {
  const raw = await readKeySource('MFA_SECRET_KEY', 'MFA_SECRET_KEY_SECRET_ID');
  const key = Buffer.from(raw.trim(), 'base64url');
  if (key.length !== 32) throw new Error('Invalid configuration: MFA_SECRET_KEY must hold exactly 32 bytes (base64url)');
  return key;
}, KEY_CACHE_MS);

export const getSigningKey = (): Promise<SigningKey> => signingKeyLoader.get();
export const getRefreshTokenKey = (): Promise<Buffer> => refreshKeyLoader.get();

/**
 * A getter for something made from the refresh-token key (an HMAC KeyObject, a derived key),
 * made once per loaded key: a reloaded (rotated) key makes a new one, an unchanged key reuses it.
 */
export function fromRefreshTokenKey<T extends object>(make: (key: Buffer) => T): () => Promise<T> {
  const made = new WeakMap<Buffer, T>();
  return async () => {
    const key = await getRefreshTokenKey();
    let value = made.get(key);
    if (!value) {
      value = make(key);
      made.set(key, value);
    }
    return value;
  };
}
/** The key TOTP secrets are encrypted under; only the two-factor functions are granted it. */
export const getMfaKey = (): Promise<Buffer> => mfaKeyLoader.get();
export const getPublicKeys = (): Promise<Map<string, KeyObject>> => publicKeysLoader.get();

/** The verification key for a kid, or undefined. Only well-formed kids are ever looked up. */
export async function findPublicKey(kid: unknown): Promise<KeyObject | undefined> {
  if (typeof kid !== 'string' || !kidPattern.test(kid)) return undefined;
  const keys = await publicKeysLoader.get();
  const key = keys.get(kid);
  if (key || publicKeysLoader.age() < UNKNOWN_KID_REFRESH_MS) return key;
  publicKeysLoader.reset();
  return (await publicKeysLoader.get()).get(kid);
}

/** Tests swap keys between cases. */
export function resetKeyCache(): void {
  signingKeyLoader.reset();
  publicKeysLoader.reset();
  refreshKeyLoader.reset();
  mfaKeyLoader.reset();
}
