/** The one algorithm access tokens are signed with; the JWKS publishes it, verification pins it. */
export const SIGNING_ALGORITHM = 'ES256';
