import * as z from 'zod';
import { EMAIL_CHANGE_REQUESTED } from '../auth/account';
import { EMAIL_SIGNIN_REQUESTED } from '../auth/email-signin';
import { RESET_REQUESTED } from '../auth/password-reset';
import { REGISTRATION_ACCEPTED } from '../auth/registration';
import type { ErrorCode } from '../errors';
import { securityEventTypes } from '../security-events';
import {
  changeEmailBody, changePasswordBody, confirmEmailBody, deleteAccountBody, emailSigninBody, emailSigninVerifyBody, forgotPasswordBody, loginBody, logoutBody,
  mfaConfirmBody, mfaVerifyBody, passkeyLoginBody, passkeyRegisterBody, registerBody, resetPasswordBody, signupAddressBody,
  stepUpBody, verifyBody, adminInviteBody, adminRolesBody,
} from '../validation';

/**
 * What each route of shared/routes.ts takes and answers, for the OpenAPI document. Request
 * bodies are the very zod schemas the handlers validate with; replies are declared here. Only
 * the document build imports this module (never a Lambda bundle), so classic zod and these
 * schemas cost no function a cold start.
 *
 * Errors list only what the handler itself decides (its ApiErrors and the Origin guard); what
 * every route of its kind can answer (bad JSON for body routes, 401/403 from the authorizer,
 * throttling, outages of the AWS services it uses) is added in openapi.ts from the route table.
 */
export interface RouteContract {
  summary: string;
  description?: string;
  tag: 'Sign-up' | 'Session' | 'Account' | 'Two-factor' | 'Passkeys' | 'Discovery' | 'Admin';
  /** zod schema of the JSON body, as the handler validates it (zod/mini: any zod schema converts). */
  body?: z.core.$ZodType;
  /** A cookie the route reads instead of a body. */
  cookie?: { name: string; description: string };
  success: {
    status: number;
    description: string;
    /** zod schema of the JSON reply; none for 204. */
    body?: z.ZodType;
    /** The reply sets the refresh cookie (or clears it). */
    setsCookie?: boolean;
  };
  errors: readonly ErrorCode[];
}

const user = z
  .object({
    id: z.string(),
    email: z.email(),
    username: z.string().optional(),
    createdAt: z.iso.datetime(),
    mfaEnabled: z
      .boolean()
      .describe('Two-factor authentication (TOTP) is on: a login needs a second step, and a password change, email change or deletion a code.'),
  })
  .meta({ id: 'User' });

const session = z
  .object({
    user: user.optional(),
    accessToken: z.string().describe('ES256 JWT; send it as "Authorization: Bearer <token>".'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.int().positive().describe('Seconds until the access token expires.'),
  })
  .meta({ id: 'Session' });

const mfaRequired = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().describe('Opaque, single use, valid 5 minutes and for 5 attempts: send it to POST /auth/mfa/verify.'),
    methods: z.array(z.enum(['totp', 'recovery_code'])),
  })
  .meta({ id: 'MfaRequired' });

const recoveryCodes = z
  .object({ recoveryCodes: z.array(z.string()).length(10).describe('Shown this once; each works once in place of a code.') })
  .meta({ id: 'RecoveryCodes' });

const securityEventView = z
  .object({
    id: z.string().describe('Time-ordered.'),
    type: z.enum(securityEventTypes),
    at: z.iso.datetime(),
    ipAddress: z.string().optional(),
    userAgent: z.string().optional(),
    method: z.enum(['password', 'totp', 'recovery_code', 'signup', 'passkey', 'email']).optional().describe('signed_in: how the sign-in was proven.'),
    newDevice: z.boolean().optional().describe('signed_in: the browser was not a device this account trusts (no valid device cookie of it came).'),
    actor: z.string().optional().describe('Admin actions: the IAM principal ARN that made the change.'),
    roles: z.array(z.string()).optional().describe('roles_changed: the roles now held.'),
  })
  .meta({ id: 'SecurityEvent' });

const adminUser = z
  .object({
    id: z.string(),
    email: z.email(),
    username: z.string().optional(),
    createdAt: z.iso.datetime(),
    roles: z.array(z.string()),
    disabled: z.boolean(),
  })
  .meta({ id: 'AdminUser' });

const sessionView = z
  .object({
    id: z.string(),
    current: z.boolean().describe('The session of the access token that asked.'),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
    userAgent: z.string().nullable(),
    ipAddress: z.string().nullable(),
  })
  .meta({ id: 'SessionInfo' });

const deviceView = z
  .object({
    id: z.string(),
    createdAt: z.iso.datetime().describe('When this browser signed in and got its device cookie.'),
    userAgent: z.string().nullable(),
    ipAddress: z.string().nullable(),
  })
  .meta({ id: 'DeviceInfo' });

const passkeyInfo = z
  .object({
    id: z.string().describe('The credential id (base64url).'),
    name: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    backedUp: z.boolean().describe('Synced to other devices by its provider (amr "swk" rather than "hwk").'),
  })
  .meta({ id: 'Passkey' });

/** The JSON forms of WebAuthn's options, as @simplewebauthn/browser takes them. */
const creationOptions = z
  .looseObject({ challenge: z.string(), rp: z.looseObject({ id: z.string(), name: z.string() }), user: z.looseObject({ id: z.string(), name: z.string() }), pubKeyCredParams: z.array(z.looseObject({})) })
  .meta({ id: 'PasskeyCreationOptions' });
const requestOptions = z.looseObject({ challenge: z.string(), rpId: z.string(), userVerification: z.literal('required') }).meta({ id: 'PasskeyRequestOptions' });

const STEP_UP_DOC =
  'Step-up: `password`, or `passkey` (an assertion on a challenge from POST /auth/passkeys/login/options), or for an account with neither a sign-in under 10 minutes old (else 403 reauthentication_required); `code` (a TOTP code or an unused recovery code) while two-factor is on.';

const accepted = (message: string) => z.object({ message: z.literal(message) });

const jwks = z.object({
  keys: z.array(
    z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), kid: z.string(), alg: z.literal('ES256'), use: z.literal('sig') }),
  ),
});

const discovery = z.object({
  issuer: z.url(),
  jwks_uri: z.url(),
  response_types_supported: z.array(z.string()),
  subject_types_supported: z.array(z.string()),
  claims_supported: z.array(z.string()),
  amr_values_supported: z.array(z.string()),
});

const openApiDocument = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.looseObject({}) });

const REFRESH_COOKIE_DOC = { name: 'refresh_token', description: 'The HttpOnly refresh cookie set by login, verify and refresh.' };

/** By `METHOD path`, exactly as in the route table. */
export const routeContracts: Readonly<Record<string, RouteContract>> = {
  'POST /auth/register': {
    tag: 'Sign-up',
    summary: 'Mail a sign-up link (or, for an address with an account, a notice)',
    description: 'Always 202 with the same message after the same work (one mail intent), whatever the address.',
    body: registerBody,
    success: { status: 202, description: 'Accepted; the mailer decides what to send.', body: accepted(REGISTRATION_ACCEPTED) },
    errors: [],
  },
  'POST /auth/verify': {
    tag: 'Sign-up',
    summary: 'Create the account with the mailed token and the chosen password, and sign in',
    description: '409 username_taken and 400 validation_failed leave the token usable.',
    body: verifyBody,
    success: { status: 200, description: 'Account created and signed in.', body: session, setsCookie: true },
    errors: ['invalid_token', 'username_taken'],
  },
  'POST /auth/verify/address': {
    tag: 'Sign-up',
    summary: 'The address a mailed sign-up token creates the account for, without using the token',
    description: 'For the verify page to name the address. The token stays usable; the same refusals as POST /auth/verify.',
    body: signupAddressBody,
    success: { status: 200, description: 'The address of the sign-up link.', body: z.object({ email: z.string().describe('The address the account will have.') }) },
    errors: ['invalid_token'],
  },
  'POST /auth/login': {
    tag: 'Session',
    summary: 'Sign in with email or username and password',
    description: 'With two-factor on, the answer is an mfaToken for POST /auth/mfa/verify instead of a session: no cookie, no access token.',
    body: loginBody,
    success: { status: 200, description: 'Signed in (a new session), or a second factor is needed.', body: z.union([session, mfaRequired]), setsCookie: true },
    errors: ['invalid_credentials', 'account_disabled', 'too_many_attempts'],
  },
  'POST /auth/refresh': {
    tag: 'Session',
    summary: 'Rotate the refresh cookie and get a new access token',
    cookie: REFRESH_COOKIE_DOC,
    success: { status: 200, description: 'A new access token and the rotated cookie.', body: session, setsCookie: true },
    errors: ['invalid_refresh_token', 'session_expired', 'refresh_token_reused', 'origin_not_allowed'],
  },
  'POST /auth/logout': {
    tag: 'Session',
    summary: 'Revoke this session, or all of the user’s',
    description: 'A token whose session was revoked meanwhile (still let through by the authorizer’s cache) is 401: it cannot log anyone out.',
    body: logoutBody,
    success: { status: 204, description: 'Revoked; the refresh cookie is cleared.', setsCookie: true },
    errors: ['origin_not_allowed'],
  },
  'GET /me': {
    tag: 'Account',
    summary: 'The signed-in user',
    success: { status: 200, description: 'The user of the access token.', body: z.object({ user }) },
    errors: ['unauthorized'],
  },
  'GET /me/security-events': {
    tag: 'Account',
    summary: 'The caller’s last 50 security events, newest first',
    description: 'Sign-ins, lockouts, password, email and two-factor changes, revoked sessions and admin actions; kept securityEventRetentionDays (90 by default).',
    success: { status: 200, description: 'The events.', body: z.object({ events: z.array(securityEventView) }) },
    errors: ['unauthorized'],
  },
  'GET /auth/sessions': {
    tag: 'Session',
    summary: 'The caller’s live sessions and trusted devices, newest first',
    description:
      'devices: the browsers whose device cookie the account trusts (each keeps its own login counter); a password reset, password change or email change ends that trust for all of them. A token whose session was revoked meanwhile is 401.',
    success: {
      status: 200,
      description: 'Every live session and every trusted device of the user.',
      body: z.object({ sessions: z.array(sessionView), devices: z.array(deviceView) }),
    },
    errors: [],
  },
  'DELETE /auth/sessions/{id}': {
    tag: 'Session',
    summary: 'Revoke one of the caller’s sessions',
    description:
      'Revoking the current session also clears the refresh cookie. Anything but a live session of the caller is 404, an id of the wrong shape included. A token whose session was revoked meanwhile is 401.',
    success: { status: 204, description: 'Revoked.', setsCookie: true },
    errors: ['not_found', 'origin_not_allowed'],
  },
  'DELETE /auth/devices/{id}': {
    tag: 'Session',
    summary: 'Stop trusting one of the caller’s devices',
    description:
      'Its device cookie no longer gets its own login counter; the browser becomes a device again at its next sign-in. Anything but a device of the caller is 404. A token whose session was revoked meanwhile is 401.',
    success: { status: 204, description: 'The device is no longer trusted.' },
    errors: ['not_found', 'origin_not_allowed'],
  },
  'POST /auth/mfa/totp/enroll': {
    tag: 'Two-factor',
    summary: 'Start setting up TOTP: a new secret, pending until confirmed',
    description: `${STEP_UP_DOC} A new enroll replaces a pending one. The secret is base32; otpauthUri is for a QR code.`,
    body: stepUpBody,
    success: { status: 200, description: 'The pending secret.', body: z.object({ secret: z.string().describe('Base32.'), otpauthUri: z.string().regex(/^otpauth:\/\/totp\//) }) },
    errors: ['reauthentication_failed', 'reauthentication_required', 'mfa_already_enabled', 'too_many_attempts'],
  },
  'POST /auth/mfa/totp/confirm': {
    tag: 'Two-factor',
    summary: 'Turn two-factor on with a code from the pending secret',
    description:
      'Every other session of the user ends (they began with the password alone) unless signOutOtherSessions is false; a password-only login still in flight cannot finish either way.',
    body: mfaConfirmBody,
    success: { status: 200, description: 'Two-factor is on; the recovery codes are shown this once.', body: recoveryCodes },
    errors: ['invalid_code', 'mfa_not_pending', 'too_many_attempts'],
  },
  'POST /auth/mfa/recovery-codes': {
    tag: 'Two-factor',
    summary: 'A fresh set of recovery codes; the old set stops working',
    description: STEP_UP_DOC,
    body: stepUpBody,
    success: { status: 200, description: 'The new recovery codes, shown this once.', body: recoveryCodes },
    errors: ['reauthentication_failed', 'reauthentication_required', 'invalid_code', 'mfa_not_enabled', 'too_many_attempts'],
  },
  'DELETE /auth/mfa/totp': {
    tag: 'Two-factor',
    summary: 'Turn two-factor off',
    description: `${STEP_UP_DOC} Also drops a pending enrollment.`,
    body: stepUpBody,
    success: { status: 204, description: 'Two-factor is off.' },
    errors: ['reauthentication_failed', 'reauthentication_required', 'invalid_code', 'too_many_attempts'],
  },
  'POST /auth/mfa/verify': {
    tag: 'Two-factor',
    summary: 'Complete a login with a TOTP code or a recovery code',
    body: mfaVerifyBody,
    success: { status: 200, description: 'Signed in: a new session (amr ["pwd","otp"]).', body: session, setsCookie: true },
    errors: ['invalid_code', 'invalid_token', 'account_disabled', 'too_many_attempts'],
  },
  'POST /auth/passkeys/register/options': {
    tag: 'Passkeys',
    summary: 'Start adding a passkey: creation options after step-up',
    description: `${STEP_UP_DOC} The challenge lives 5 minutes, serves one registration and only this user. Resident key and user verification required, attestation none, ES256/RS256/Ed25519.`,
    body: stepUpBody,
    success: { status: 200, description: 'PublicKeyCredentialCreationOptions in JSON form.', body: creationOptions },
    errors: ['reauthentication_failed', 'reauthentication_required', 'invalid_code', 'too_many_attempts'],
  },
  'POST /auth/passkeys/register': {
    tag: 'Passkeys',
    summary: 'Store a passkey from the browser’s attestation',
    description: 'The attestation must sign a registration challenge of the caller, from an app origin, for this relying party, with user verification. A notice is mailed.',
    body: passkeyRegisterBody,
    success: { status: 201, description: 'The passkey is stored.', body: z.object({ passkey: passkeyInfo }) },
    errors: ['invalid_passkey'],
  },
  'GET /auth/passkeys': {
    tag: 'Passkeys',
    summary: 'The caller’s passkeys, newest first',
    success: { status: 200, description: 'Every passkey of the user.', body: z.object({ passkeys: z.array(passkeyInfo) }) },
    errors: [],
  },
  'DELETE /auth/passkeys/{id}': {
    tag: 'Passkeys',
    summary: 'Remove one of the caller’s passkeys (after step-up)',
    description: `${STEP_UP_DOC} Anything but a passkey of the caller is 404. The account’s last way to sign in is never removed (409). A notice is mailed.`,
    body: stepUpBody,
    success: { status: 204, description: 'The passkey is removed.' },
    errors: ['not_found', 'last_sign_in_method', 'reauthentication_failed', 'reauthentication_required', 'invalid_code', 'too_many_attempts', 'origin_not_allowed'],
  },
  'POST /auth/passkeys/login/options': {
    tag: 'Passkeys',
    summary: 'A fresh challenge for a passkey sign-in or step-up',
    description: 'Empty allowCredentials: the authenticator offers its discoverable credentials (also through autofill, conditional UI). The challenge lives 5 minutes and serves one assertion.',
    success: { status: 200, description: 'PublicKeyCredentialRequestOptions in JSON form.', body: requestOptions },
    errors: [],
  },
  'POST /auth/passkeys/login': {
    tag: 'Passkeys',
    summary: 'Sign in with a passkey',
    description: 'User verification is required and satisfies two-factor: amr ["hwk","user"] for a device-bound passkey, ["swk","user"] for a synced one. An unknown credential, a bad signature and a used or expired challenge all answer the same 401.',
    body: passkeyLoginBody,
    success: { status: 200, description: 'Signed in: a new session.', body: session, setsCookie: true },
    errors: ['invalid_credentials'],
  },
  'POST /auth/email-signin': {
    tag: 'Session',
    summary: 'Mail a sign-in link and code (or, for an address without an account, a mail that says so)',
    description: 'Always 202 with the same message after the same work (one mail intent), whatever the address. The link and code live 15 minutes and work once; at most 5 such mails per address per hour are sent.',
    body: emailSigninBody,
    success: { status: 202, description: 'Accepted; the mailer decides what to send.', body: accepted(EMAIL_SIGNIN_REQUESTED) },
    errors: [],
  },
  'POST /auth/email-signin/verify': {
    tag: 'Session',
    summary: 'Sign in with the mailed link’s token, or the address and the mailed code',
    description: 'A success kills every other link and code of the account. With two-factor on, the answer is an mfaToken for POST /auth/mfa/verify instead of a session. Codes are counted per address: after 5 wrong ones, 429.',
    body: emailSigninVerifyBody,
    success: { status: 200, description: 'Signed in (a new session, amr ["mail"]), or a second factor is needed.', body: z.union([session, mfaRequired]), setsCookie: true },
    errors: ['invalid_token', 'invalid_code', 'too_many_attempts'],
  },
  'POST /auth/password/forgot': {
    tag: 'Account',
    summary: 'Mail a password-reset link to the address, if it has an account',
    description: 'Always 202 with the same message after the same work (one mail intent), whatever the address. The link lives 30 minutes; at most 5 per address per hour are sent.',
    body: forgotPasswordBody,
    success: { status: 202, description: 'Accepted; the mailer decides whether a link goes out.', body: accepted(RESET_REQUESTED) },
    errors: [],
  },
  'POST /auth/password/reset': {
    tag: 'Account',
    summary: 'Set a new password with the mailed reset link',
    description: 'Every session of the user is revoked, every other reset link dies, the login throttles of the account are cleared and a notice is mailed. Nobody is signed in. 400 validation_failed keeps the link usable.',
    body: resetPasswordBody,
    success: { status: 204, description: 'The password is set; log in with it.' },
    errors: ['invalid_token'],
  },
  'POST /auth/password/change': {
    tag: 'Account',
    summary: 'Change the password (after step-up), or set the first one of an account without',
    description: `${STEP_UP_DOC.replace('`password`', '`currentPassword`')} An account without a password omits currentPassword (step-up by passkey or a recent sign-in) and so sets its first one. Every other session of the user is revoked, this one is kept; a notice is mailed. A wrong current password is 403, never 401.`,
    body: changePasswordBody,
    success: { status: 204, description: 'The password is changed.' },
    errors: ['reauthentication_failed', 'reauthentication_required', 'invalid_code', 'too_many_attempts'],
  },
  'POST /auth/email/change': {
    tag: 'Account',
    summary: 'Ask to move the account to a new email address (after step-up)',
    description: `${STEP_UP_DOC} The same 202 whether or not the new address is taken. A confirmation link (1 hour) goes to the new address only if no account uses it.`,
    body: changeEmailBody,
    success: { status: 202, description: 'Accepted; the mailer decides whether a link goes out.', body: accepted(EMAIL_CHANGE_REQUESTED) },
    errors: ['reauthentication_failed', 'reauthentication_required', 'invalid_code', 'too_many_attempts'],
  },
  'POST /auth/email/confirm': {
    tag: 'Account',
    summary: 'Confirm the new email address with the link mailed to it',
    description: 'The account now uses the new address; a notice goes to the old one. 409 when another account claimed the address meanwhile.',
    body: confirmEmailBody,
    success: { status: 200, description: 'The user with its new address.', body: z.object({ user }) },
    errors: ['invalid_token', 'email_taken'],
  },
  'DELETE /me': {
    tag: 'Account',
    summary: 'Delete the account (after step-up)',
    description: `${STEP_UP_DOC} Every session is revoked, the account and its uniqueness items are deleted (the address and username can sign up again), the refresh and device cookies are cleared and a notice is mailed.`,
    body: deleteAccountBody,
    success: { status: 204, description: 'The account is deleted; the cookies are cleared.', setsCookie: true },
    errors: ['reauthentication_failed', 'reauthentication_required', 'invalid_code', 'too_many_attempts', 'origin_not_allowed'],
  },
  'GET /admin/users': {
    tag: 'Admin',
    summary: 'List users in email order (query: limit 1-100, cursor, emailPrefix)',
    description: 'Through a sparse index, never a scan. nextCursor is present when there may be more.',
    success: {
      status: 200,
      description: 'A page of users.',
      body: z.object({ users: z.array(adminUser), nextCursor: z.string().optional() }),
    },
    errors: ['validation_failed'],
  },
  'POST /admin/users': {
    tag: 'Admin',
    summary: 'Invite: mail a sign-up link whose account starts with the roles',
    body: adminInviteBody,
    success: { status: 202, description: 'Accepted; an address that has an account gets a notice instead.', body: z.object({ message: z.string() }) },
    errors: [],
  },
  'GET /admin/users/{id}': {
    tag: 'Admin',
    summary: 'A user with its roles, state, sign-in methods and live sessions',
    success: {
      status: 200,
      description: 'The user.',
      body: z.object({
        user,
        roles: z.array(z.string()),
        disabled: z.boolean(),
        methods: z.array(z.enum(['password', 'totp'])),
        sessions: z.array(sessionView.omit({ current: true })),
      }),
    },
    errors: ['not_found'],
  },
  'POST /admin/users/{id}/disable': {
    tag: 'Admin',
    summary: 'Disable the account: every session ends, no sign-in by any method',
    success: { status: 204, description: 'Disabled.' },
    errors: ['not_found'],
  },
  'POST /admin/users/{id}/enable': {
    tag: 'Admin',
    summary: 'Enable a disabled account',
    success: { status: 204, description: 'Enabled.' },
    errors: ['not_found'],
  },
  'PUT /admin/users/{id}/roles': {
    tag: 'Admin',
    summary: 'Replace the roles (in tokens from the next refresh; revokeSessions ends every session)',
    body: adminRolesBody,
    success: { status: 200, description: 'The roles now held.', body: z.object({ roles: z.array(z.string()) }) },
    errors: ['not_found'],
  },
  'DELETE /admin/users/{id}/sessions': {
    tag: 'Admin',
    summary: 'Sign the user out everywhere',
    success: { status: 204, description: 'Every session revoked.' },
    errors: ['not_found'],
  },
  'DELETE /admin/users/{id}/mfa': {
    tag: 'Admin',
    summary: 'Turn two-factor off; the owner is mailed a notice',
    success: { status: 204, description: 'Two-factor is off.' },
    errors: ['not_found'],
  },
  'DELETE /admin/users/{id}': {
    tag: 'Admin',
    summary: 'Delete the account; the owner is mailed a notice',
    success: { status: 204, description: 'Deleted.' },
    errors: ['not_found'],
  },
  'GET /admin/users/{id}/events': {
    tag: 'Admin',
    summary: 'The user’s security events, newest first (query: limit 1-100, cursor)',
    success: {
      status: 200,
      description: 'A page of events.',
      body: z.object({ events: z.array(securityEventView), nextCursor: z.string().optional() }),
    },
    errors: ['validation_failed'],
  },
  'GET /.well-known/jwks.json': {
    tag: 'Discovery',
    summary: 'Public keys that verify access tokens (JWKS)',
    success: { status: 200, description: 'Every key that may have signed a live access token.', body: jwks },
    errors: [],
  },
  'GET /.well-known/openid-configuration': {
    tag: 'Discovery',
    summary: 'OpenID Connect discovery: issuer, key set and algorithm',
    success: { status: 200, description: 'Provider metadata for token verifiers.', body: discovery },
    errors: [],
  },
  'GET /openapi.json': {
    tag: 'Discovery',
    summary: 'This API description (OpenAPI 3.1)',
    success: { status: 200, description: 'The OpenAPI document.', body: openApiDocument },
    errors: [],
  },
};
