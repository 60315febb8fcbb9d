import type { Config } from '../config';
import { SIGNING_ALGORITHM } from './algorithm';

/** Where discovery and the key set live under the issuer (OpenID Connect Discovery 1.0, RFC 8414). */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The OpenID Provider metadata a token verifier needs: the issuer exactly as in `iss`, where the
 * keys are, and how tokens are signed. This service signs access tokens only, so it names no
 * authorization or token endpoint; `response_types_supported` and `subject_types_supported` are
 * there because discovery consumers (API Gateway JWT authorizers among them) require them.
 */
export function discoveryDocument(config: Pick<Config, 'JWT_ISSUER'>) {
  return {
    issuer: config.JWT_ISSUER,
    jwks_uri: `${config.JWT_ISSUER}${JWKS_PATH}`,
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    token_endpoint_auth_methods_supported: ['none'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'token_use'],
  };
}
