/** The one algorithm access tokens are signed with; the JWKS and discovery publish it, verification pins it. */
export const SIGNING_ALGORITHM = 'ES256';
