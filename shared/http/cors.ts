/**
 * CORS for an allowlist of origins with credentials (the refresh cookie), never `*`.
 * Used by every handler's reply, the local gateway's preflights and gateway responses, and the
 * CDK stack's preflight and Gateway Responses.
 */
export const CORS_ALLOWED_HEADERS = ['Content-Type', 'Authorization'];
/** PUT and PATCH for the team's own routes (addProtectedRoute); the service's routes use GET, POST and DELETE. */
export const CORS_ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
export const CORS_MAX_AGE_SECONDS = 600;

export function isOriginAllowed(origin: string | undefined, allowedOrigins: readonly string[]): origin is string {
  return origin !== undefined && allowedOrigins.includes(origin);
}

/** Headers for a reply to a request from `origin`: CORS only when the origin is allowed. */
export function corsHeaders(origin: string | undefined, allowedOrigins: readonly string[]): Record<string, string> {
  if (!isOriginAllowed(origin, allowedOrigins)) return { Vary: 'Origin' };
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': 'Retry-After',
    Vary: 'Origin',
  };
}

export function preflightHeaders(origin: string | undefined, allowedOrigins: readonly string[]): Record<string, string> {
  if (!isOriginAllowed(origin, allowedOrigins)) return { Vary: 'Origin' };
  return {
    ...corsHeaders(origin, allowedOrigins),
    'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS.join(','),
    'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(','),
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
  };
}
