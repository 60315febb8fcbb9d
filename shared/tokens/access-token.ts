import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { getConfig } from '../config';
import { findPublicKey, getSigningKey } from '../keys';
import { isRoleName } from '../roles';
import type { AuthMethod } from '../stores';
import { SIGNING_ALGORITHM } from './algorithm';

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  exp: number;
  /** The user's roles when the token was issued (a change shows at the next refresh). */
  roles: string[];
}

const CLOCK_SKEW_SECONDS = 30;
/** Header parameters that point at keys we would have to fetch or trust from the token itself. */
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'crit'];
/**
 * RFC 9068's media type for JWT access tokens, set on issue and required on verification, so no
 * other JWT signed with the same key (an ID token, a logout token) can pass as an access token.
 * RFC 8725 §3.11 allows the long form too; media types compare case-insensitively.
 */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
const ACCEPTED_TYPES = new Set([ACCESS_TOKEN_TYPE, `application/${ACCESS_TOKEN_TYPE}`]);

/**
 * ECDSA signatures are malleable: (r, s) and (r, n - s) both verify. Tokens are issued with the
 * low s (s <= n/2) only, and verification refuses the high-s twin, so each token has exactly one
 * spelling (nothing keyed on the token string can be sidestepped with its twin).
 */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_HALF_ORDER = P256_ORDER >> 1n;
const ES256_SIGNATURE_BYTES = 64;
const HALF_ORDER_BYTES = Buffer.from(P256_HALF_ORDER.toString(16).padStart(64, '0'), 'hex');

/** The signature part decodes to exactly 64 bytes, in its one canonical base64url spelling, with s <= n/2. */
export function isCanonicalLowS(signaturePart: string): boolean {
  const signature = Buffer.from(signaturePart, 'base64url');
  return (
    signature.length === ES256_SIGNATURE_BYTES &&
    signature.toString('base64url') === signaturePart &&
    Buffer.compare(signature.subarray(ES256_SIGNATURE_BYTES / 2), HALF_ORDER_BYTES) <= 0
  );
}

/** Replaces a high s by n - s: the same signature's low-s spelling. */
export function toLowS(signaturePart: string): string {
  const signature = Buffer.from(signaturePart, 'base64url');
  const s = BigInt(`0x${signature.subarray(ES256_SIGNATURE_BYTES / 2).toString('hex')}`);
  if (s <= P256_HALF_ORDER) return signaturePart;
  Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex').copy(signature, ES256_SIGNATURE_BYTES / 2);
  return signature.toString('base64url');
}

/**
 * Time claims beyond what jsonwebtoken checks: `iat` must be there and not in the future (beyond
 * the skew), and no token may live longer than this service issues them for, so neither a
 * far-future `exp` nor an old `iat` is accepted even under a valid signature (a signing key that
 * leaked, or a bug in another issuer sharing it, cannot mint long-lived tokens).
 */
export function withinLifetime(payload: { iat?: unknown; exp?: unknown }, nowSeconds: number, ttlSeconds: number): boolean {
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isInteger(iat) || !Number.isInteger(exp)) return false;
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) return false;
  if (exp - iat > ttlSeconds) return false;
  return nowSeconds - iat <= ttlSeconds + CLOCK_SKEW_SECONDS;
}

/**
 * `amr` (RFC 8176) says how the session began: ["pwd"], or ["pwd","otp"] after a second factor,
 * so an API can ask for the stronger one. `roles` are the user's as stored when the token is made.
 */
export async function signAccessToken(
  userId: string,
  sessionId: string,
  amr: readonly AuthMethod[] = ['pwd'],
  roles: readonly string[] = [],
  /** When the user signed in to this session (epoch ms): `auth_time` (OIDC), unchanged by refreshes. */
  signedInAt?: number,
): Promise<{ accessToken: string; expiresIn: number }> {
  const config = getConfig();
  const { kid, privateKey } = await getSigningKey();
  const authTime = signedInAt === undefined ? {} : { auth_time: Math.floor(signedInAt / 1000) };
  const signed = jwt.sign({ sid: sessionId, token_use: 'access', amr, roles, ...authTime }, privateKey, {
    algorithm: SIGNING_ALGORITHM,
    header: { alg: SIGNING_ALGORITHM, kid, typ: ACCESS_TOKEN_TYPE },
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    subject: userId,
    jwtid: randomUUID(),
    expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const [header, payload, signature] = signed.split('.');
  const accessToken = `${header}.${payload}.${toLowS(signature!)}`;
  return { accessToken, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS };
}

/**
 * Verifies an access token, or returns undefined for anything wrong with it. The algorithm,
 * type, issuer, audience and token_use are pinned; the key comes only from configuration, by
 * kid; the signature must be the low-s one; the lifetime is bounded from `iat`.
 */
export async function verifyAccessToken(token: string): Promise<AccessClaims | undefined> {
  const config = getConfig();
  if (!isCanonicalLowS(token.slice(token.lastIndexOf('.') + 1))) return undefined;
  let keyLoadFailure: unknown;
  const payload = await new Promise<jwt.JwtPayload | string | undefined>((resolve) =>
    jwt.verify(
      token,
      // Resolving the key from the header inside verify decodes the token once (hot path).
      (header, callback) => {
        const fields = header as unknown as Record<string, unknown>;
        const typ = typeof fields.typ === 'string' ? fields.typ.toLowerCase() : undefined;
        if (header.alg !== SIGNING_ALGORITHM || !typ || !ACCEPTED_TYPES.has(typ) || FORBIDDEN_HEADERS.some((name) => name in fields)) {
          return callback(new Error('refused header'));
        }
        findPublicKey(header.kid).then(
          (key) => (key ? callback(null, key) : callback(new Error('unknown kid'))),
          (error: Error) => {
            keyLoadFailure = error;
            callback(error);
          },
        );
      },
      { algorithms: [SIGNING_ALGORITHM], issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, clockTolerance: CLOCK_SKEW_SECONDS },
      (error, verified) => resolve(error ? undefined : verified),
    ),
  );
  // Keys we could not load are an outage (API Gateway answers 500), not a bad token (401).
  if (keyLoadFailure) throw keyLoadFailure;
  if (typeof payload !== 'object' || payload.token_use !== 'access') return undefined;
  if (!withinLifetime(payload, Math.floor(Date.now() / 1000), config.ACCESS_TOKEN_TTL_SECONDS)) return undefined;
  const { sub, sid, jti, exp } = payload;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') return undefined;
  // A token from before roles existed carries none; anything but role names is refused.
  const roles: unknown = payload.roles ?? [];
  if (!Array.isArray(roles) || !roles.every(isRoleName)) return undefined;
  return { sub, sid, jti, exp, roles };
}
