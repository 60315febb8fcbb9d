/**
 * Every error the API can answer with, in one list: the stable `code` clients switch on, its
 * HTTP status and the title shown in problem+json. Handlers throw `ApiError`s by code; the one
 * error middleware (shared/http/problem.ts) turns them into RFC 9457 responses.
 */
export const errorCatalog = {
  validation_failed: { status: 400, title: 'The request is invalid.' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON.' },
  invalid_token: { status: 400, title: 'The link is invalid, expired or already used.' },
  invalid_code: { status: 400, title: 'The code is wrong, expired or already used.' },
  unauthorized: { status: 401, title: 'Authentication is required.' },
  invalid_credentials: { status: 401, title: 'The email, username or password is incorrect.' },
  invalid_refresh_token: { status: 401, title: 'The refresh token is missing or invalid.' },
  session_expired: { status: 401, title: 'The session has expired.' },
  refresh_token_reused: { status: 401, title: 'The refresh token was already used; the session has been revoked.' },
  forbidden: { status: 403, title: 'Access to this resource is denied.' },
  // A wrong current password on a protected route: the session is fine, so never a 401.
  reauthentication_failed: { status: 403, title: 'The current password is incorrect.' },
  origin_not_allowed: { status: 403, title: 'The request origin is not allowed.' },
  // Answered only after a correct credential: a guesser learns nothing from it.
  account_disabled: { status: 403, title: 'This account has been disabled.' },
  not_found: { status: 404, title: 'No such resource.' },
  method_not_allowed: { status: 405, title: 'The method is not allowed on this resource.' },
  // Local stack only: its servers answer only the loopback host names (DNS rebinding).
  misdirected_request: { status: 421, title: 'This server answers only requests for localhost, 127.0.0.1 or [::1].' },
  request_rejected: { status: 400, title: 'The request was rejected.' },
  username_taken: { status: 409, title: 'The username is already taken.' },
  mfa_already_enabled: { status: 409, title: 'Two-factor authentication is already on.' },
  mfa_not_pending: { status: 409, title: 'No two-factor set-up is waiting for a code; enroll first.' },
  mfa_not_enabled: { status: 409, title: 'Two-factor authentication is off.' },
  last_sign_in_method: { status: 409, title: 'This is the account’s last way to sign in; add another first.' },
  invalid_passkey: { status: 400, title: 'The passkey could not be verified.' },
  reauthentication_required: { status: 403, title: 'Sign in again, then retry.' },
  email_taken: { status: 409, title: 'The email address belongs to another account.' },
  identity_already_linked: { status: 409, title: 'An identity of this provider is already connected to the account.' },
  payload_too_large: { status: 413, title: 'The request body is too large.' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json.' },
  rate_limited: { status: 429, title: 'Too many requests; try again later.' },
  too_many_attempts: { status: 429, title: 'Too many failed login attempts; try again later.' },
  internal_error: { status: 500, title: 'Something went wrong on our side.' },
  service_unavailable: { status: 503, title: 'The service is temporarily unavailable; try again shortly.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

/**
 * The outcomes a provider's callback reports by redirecting the browser to
 * `<APP_URL>/signin#error=<code>` (never problem+json: the browser is navigating, not calling).
 * The sign-in pages show the sentence.
 */
export const signInRedirectErrors = {
  oauth_failed: 'Signing in with the provider did not work. Try again.',
  oauth_cancelled: 'Signing in with the provider was cancelled.',
  invalid_state: 'That sign-in attempt expired or was started in another browser. Start again here.',
  email_not_verified: 'The provider did not confirm your email address. Sign up by email first, then connect the provider from your account.',
  identity_in_use: 'That provider account is already connected to another account.',
  account_disabled: 'This account has been disabled.',
} as const;

export type SignInRedirectError = keyof typeof signInRedirectErrors;

/** Seconds a client should wait after a 503 caused by an AWS dependency (DynamoDB, SES, Secrets Manager). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly options: { detail?: string; errors?: FieldError[]; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(errorCatalog[code].title, { cause: options.cause });
    this.status = errorCatalog[code].status;
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The RFC 9457 body for a code; `type` is a stable URN so clients never need to fetch it. */
export function problemBody(code: ErrorCode, extra: { detail?: string; errors?: FieldError[] } = {}) {
  const { status, title } = errorCatalog[code];
  return { type: `urn:serverless-auth:error:${code}`, title, status, code, ...extra };
}
