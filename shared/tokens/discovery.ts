import type { Config } from '../config';
import type { AuthMethod } from '../stores';

/** Where discovery and the key set live under the issuer (OpenID Connect Discovery 1.0, RFC 8414). */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/.well-known/jwks.json';

/** How a session began (RFC 8176), as access tokens carry it in `amr`. */
export const AMR_VALUES: readonly AuthMethod[] = ['pwd', 'otp'];

/**
 * The metadata a token verifier needs (OpenID Connect Discovery 1.0, RFC 8414), and only what
 * this service serves: the issuer exactly as in `iss`, where the keys are, the claims and `amr`
 * values its access tokens carry. It issues no ID token and has no authorization or token
 * endpoint, so it names no ID-token algorithm and no endpoint auth method (a client must not be
 * led to expect them). `response_types_supported` and `subject_types_supported` are there
 * because both specifications require them and discovery consumers (API Gateway JWT authorizers
 * among them) refuse metadata without them. Access tokens are ES256 JWTs typed `at+jwt` (RFC 9068).
 */
export function discoveryDocument(config: Pick<Config, 'JWT_ISSUER'>) {
  return {
    issuer: config.JWT_ISSUER,
    jwks_uri: `${config.JWT_ISSUER}${JWKS_PATH}`,
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'token_use', 'amr', 'auth_time'],
    amr_values_supported: [...AMR_VALUES],
  };
}
