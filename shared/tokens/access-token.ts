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
 * `amr` (RFC 8176) says how the session began: ["pwd"], or ["pwd","otp"] after a second factor,
 * so an API can ask for the stronger one. `roles` are the user's as stored when the token is made.
 */
export async function signAccessToken(
  userId: string,
  sessionId: string,
  amr: readonly AuthMethod[] = ['pwd'],
  roles: readonly string[] = [],
): Promise<{ accessToken: string; expiresIn: number }> {
  const config = getConfig();
  const { kid, privateKey } = await getSigningKey();
  const accessToken = jwt.sign({ sid: sessionId, token_use: 'access', amr, roles }, privateKey, {
    algorithm: SIGNING_ALGORITHM,
    keyid: kid,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    subject: userId,
    jwtid: randomUUID(),
    expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  return { accessToken, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS };
}

/**
 * Verifies an access token, or returns undefined for anything wrong with it. The algorithm,
 * issuer, audience and token_use are pinned; the key comes only from configuration, by kid.
 */
export async function verifyAccessToken(token: string): Promise<AccessClaims | undefined> {
  const config = getConfig();
  let keyLoadFailure: unknown;
  const payload = await new Promise<jwt.JwtPayload | string | undefined>((resolve) =>
    jwt.verify(
      token,
      // Resolving the key from the header inside verify decodes the token once (hot path).
      (header, callback) => {
        const fields = header as unknown as Record<string, unknown>;
        if (header.alg !== SIGNING_ALGORITHM || FORBIDDEN_HEADERS.some((name) => name in fields)) return callback(new Error('refused header'));
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
  const { sub, sid, jti, exp } = payload;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') return undefined;
  // A token from before roles existed carries none; anything but role names is refused.
  const roles: unknown = payload.roles ?? [];
  if (!Array.isArray(roles) || !roles.every(isRoleName)) return undefined;
  return { sub, sid, jti, exp, roles };
}
