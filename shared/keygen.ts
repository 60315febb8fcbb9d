import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

/**
 * Fresh key material in the formats shared/keys.ts reads. The local stack calls it at start;
 * the deploy-time custom resource and the rotation function produce the same shapes.
 */
export function generateSigningKeyPair(kid: string = randomUUID()) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function generateRefreshTokenKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The AES-256-GCM key of TOTP secrets: 32 random bytes, like the refresh key. */
export const generateMfaKey = generateRefreshTokenKey;

/** Environment variables that hand freshly generated keys to the functions (local stack, tests). */
export function generateKeyEnvironment(): Record<'JWT_PRIVATE_KEY' | 'JWT_PUBLIC_KEYS' | 'REFRESH_TOKEN_KEY' | 'MFA_SECRET_KEY', string> {
  const pair = generateSigningKeyPair();
  return {
    JWT_PRIVATE_KEY: JSON.stringify({ kid: pair.kid, privateKey: pair.privateKey }),
    JWT_PUBLIC_KEYS: JSON.stringify({ keys: [{ kid: pair.kid, publicKey: pair.publicKey }] }),
    REFRESH_TOKEN_KEY: generateRefreshTokenKey(),
    MFA_SECRET_KEY: generateMfaKey(),
  };
}
