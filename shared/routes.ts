/**
 * The one route table. The CDK stack and the local gateway are both generated from it, so the
 * deployed API and the local one cannot disagree about paths, handlers or which routes need a
 * token. `access` lists what each function may touch; the stack turns it into least-privilege
 * IAM grants and only the listed key material is handed to the function.
 */
/** queryUserItems: Query on the table itself, only under USER# partition keys (a user's passkeys and identities). */
export type TableAction = 'read' | 'batchRead' | 'write' | 'querySessions' | 'queryUserItems' | 'enqueueMail' | 'recordSuppression' | 'queryEvents' | 'queryUsers';
export type SecretName = 'signingKey' | 'publicKeys' | 'refreshKey' | 'mfaKey';

export interface FunctionAccess {
  table: readonly TableAction[];
  secrets: readonly SecretName[];
  sendsMail: boolean;
  /** scrypt needs memory and CPU: these functions get a bigger Lambda. */
  hashesPasswords: boolean;
  /**
   * The configured identity providers (IDENTITY_PROVIDERS): 'settings' to know them (ids, presets,
   * client ids, issuers, each secret's id); 'clientSecrets' also to read every provider's client
   * secret, for the code exchange. Omitted: neither.
   */
  identityProviders?: 'settings' | 'clientSecrets';
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway resource path; a `{name}` segment is a path parameter (event.pathParameters.name). */
  path: string;
  /** Folder under functions/ holding handler.ts. */
  functionName: string;
  /** iam: API Gateway AWS_IAM (SigV4; execute-api:Invoke), the admin API; no token of this service reaches it. */
  auth: 'public' | 'protected' | 'iam';
  access: FunctionAccess;
}

/**
 * How long every function may run. The stack configures it on each Lambda and the local gateway
 * enforces it, so a handler that hangs fails locally the way it fails on AWS.
 */
export const FUNCTION_TIMEOUT_SECONDS = 10;

const none: FunctionAccess = { table: [], secrets: [], sendsMail: false, hashesPasswords: false };

export const routes: readonly Route[] = [
  {
    method: 'POST', path: '/auth/register', functionName: 'register', auth: 'public',
    // One PutItem of a mail intent: no reads, no SES.
    access: { ...none, table: ['enqueueMail'] },
  },
  {
    method: 'POST', path: '/auth/verify', functionName: 'verify', auth: 'public',
    // Records the first device on the user item it creates.
    access: { ...none, table: ['read', 'write'], secrets: ['signingKey', 'refreshKey'], hashesPasswords: true },
  },
  {
    // The verify page names the address before the person chooses a password: one read, nothing used up.
    method: 'POST', path: '/auth/verify/address', functionName: 'signup-address', auth: 'public',
    access: { ...none, table: ['read'] },
  },
  {
    method: 'POST', path: '/auth/login', functionName: 'login', auth: 'public',
    // batchRead: a returning browser's identifier and account (its devices on it) in one call (UserStore.findWithDevice).
    access: { ...none, table: ['read', 'batchRead', 'write'], secrets: ['signingKey', 'refreshKey'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/refresh', functionName: 'refresh', auth: 'public',
    access: { ...none, table: ['read', 'write'], secrets: ['signingKey', 'refreshKey'] },
  },
  {
    method: 'POST', path: '/auth/logout', functionName: 'logout', auth: 'protected',
    access: { ...none, table: ['read', 'write', 'querySessions'] },
  },
  {
    method: 'GET', path: '/me', functionName: 'me', auth: 'protected',
    access: { ...none, table: ['read'] },
  },
  {
    method: 'GET', path: '/auth/sessions', functionName: 'list-sessions', auth: 'protected',
    // The sessions, and the user with its devices (its credentialsVersion decides which are trusted).
    access: { ...none, table: ['read', 'batchRead', 'querySessions'] },
  },
  {
    method: 'GET', path: '/me/security-events', functionName: 'security-events', auth: 'protected',
    // A Query of the caller's own partition (USER#<id>): the events sit beside the user item.
    access: { ...none, table: ['queryEvents'] },
  },
  {
    method: 'DELETE', path: '/auth/sessions/{id}', functionName: 'revoke-session', auth: 'protected',
    access: { ...none, table: ['read', 'write'] },
  },
  {
    method: 'DELETE', path: '/auth/devices/{id}', functionName: 'revoke-device', auth: 'protected',
    access: { ...none, table: ['read', 'write'] },
  },
  // Two-factor: only these functions hold the key TOTP secrets are encrypted under (login does
  // not: it only learns from the user item that a second step is needed). Every route with
  // step-up (shared/auth/step-up.ts) may list the caller's passkeys (queryUserItems, the user's own
  // USER# partition) to decide whether an account without a password must present one.
  {
    method: 'POST', path: '/auth/mfa/totp/enroll', functionName: 'mfa-enroll', auth: 'protected',
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/mfa/totp/confirm', functionName: 'mfa-confirm', auth: 'protected',
    // Signs out the other sessions (the index query) by default.
    access: { ...none, table: ['read', 'write', 'querySessions'], secrets: ['mfaKey'] },
  },
  {
    method: 'POST', path: '/auth/mfa/recovery-codes', functionName: 'mfa-recovery-codes', auth: 'protected',
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  {
    method: 'DELETE', path: '/auth/mfa/totp', functionName: 'mfa-disable', auth: 'protected',
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/mfa/verify', functionName: 'mfa-verify', auth: 'public',
    access: { ...none, table: ['read', 'write'], secrets: ['signingKey', 'refreshKey', 'mfaKey'] },
  },
  // Passkeys: only these functions carry the WebAuthn library. queryUserItems is the Query under the
  // user's own USER# partition, where passkeys live beside devices.
  {
    method: 'POST', path: '/auth/passkeys/register/options', functionName: 'passkey-register-options', auth: 'protected',
    // Step-up (password or passkey, TOTP code when on), the challenge, the passkeys to exclude.
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/passkeys/register', functionName: 'passkey-register', auth: 'protected',
    access: { ...none, table: ['read', 'write'] },
  },
  {
    method: 'GET', path: '/auth/passkeys', functionName: 'list-passkeys', auth: 'protected',
    access: { ...none, table: ['queryUserItems'] },
  },
  {
    method: 'DELETE', path: '/auth/passkeys/{id}', functionName: 'delete-passkey', auth: 'protected',
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/passkeys/login/options', functionName: 'passkey-login-options', auth: 'public',
    // One PutItem of a challenge.
    access: { ...none, table: ['write'] },
  },
  {
    method: 'POST', path: '/auth/passkeys/login', functionName: 'passkey-login', auth: 'public',
    // batchRead: the account and the credential in one call (UserStore.findWithPasskey).
    access: { ...none, table: ['read', 'batchRead', 'write'], secrets: ['signingKey', 'refreshKey'] },
  },
  {
    method: 'POST', path: '/auth/email-signin', functionName: 'email-signin', auth: 'public',
    // Like register: one PutItem of a mail intent, no reads, no SES.
    access: { ...none, table: ['enqueueMail'] },
  },
  {
    method: 'POST', path: '/auth/email-signin/verify', functionName: 'email-signin-verify', auth: 'public',
    access: { ...none, table: ['read', 'write'], secrets: ['signingKey', 'refreshKey'] },
  },
  // Sign-in with an identity provider. One function answers both callback methods (a provider may
  // post the answer: response_mode=form_post); only it reads the providers' client secrets.
  {
    method: 'GET', path: '/auth/providers', functionName: 'identity-providers', auth: 'public',
    access: { ...none, identityProviders: 'settings' },
  },
  {
    method: 'GET', path: '/auth/oauth/{provider}/start', functionName: 'oauth-start', auth: 'public',
    // One PutItem of the flow item.
    access: { ...none, table: ['write'], identityProviders: 'settings' },
  },
  {
    method: 'POST', path: '/auth/oauth/{provider}/link', functionName: 'oauth-link', auth: 'protected',
    // Step-up (password, passkey, TOTP code), the caller's identities, the flow item.
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true, identityProviders: 'settings' },
  },
  {
    method: 'GET', path: '/auth/oauth/{provider}/callback', functionName: 'oauth-callback', auth: 'public',
    access: { ...none, table: ['read', 'write'], secrets: ['signingKey', 'refreshKey'], identityProviders: 'clientSecrets' },
  },
  {
    method: 'POST', path: '/auth/oauth/{provider}/callback', functionName: 'oauth-callback', auth: 'public',
    access: { ...none, table: ['read', 'write'], secrets: ['signingKey', 'refreshKey'], identityProviders: 'clientSecrets' },
  },
  {
    method: 'POST', path: '/auth/identities/confirm', functionName: 'identity-confirm', auth: 'public',
    // The provider's name for the notice, and only configured providers are linked.
    access: { ...none, table: ['read', 'write'], secrets: ['signingKey', 'refreshKey'], identityProviders: 'settings' },
  },
  {
    method: 'GET', path: '/auth/methods', functionName: 'sign-in-methods', auth: 'protected',
    // The user, and its passkeys and identities (a Query of its own USER# partition).
    access: { ...none, table: ['read', 'queryUserItems'] },
  },
  {
    method: 'DELETE', path: '/auth/identities/{id}', functionName: 'unlink-identity', auth: 'protected',
    // The provider's name for the notice.
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true, identityProviders: 'settings' },
  },
  {
    method: 'POST', path: '/auth/password/forgot', functionName: 'forgot-password', auth: 'public',
    // Like register: one PutItem of a mail intent, no reads, no SES.
    access: { ...none, table: ['enqueueMail'] },
  },
  {
    method: 'POST', path: '/auth/password/reset', functionName: 'reset-password', auth: 'public',
    // Revokes every session of the user (the index query) and clears its login counters.
    access: { ...none, table: ['read', 'write', 'querySessions'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/password/change', functionName: 'change-password', auth: 'protected',
    access: { ...none, table: ['read', 'write', 'querySessions', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/email/change', functionName: 'change-email', auth: 'protected',
    // Step-up (throttle counter writes, a passkey's counter) and one mail intent ('write' covers it).
    access: { ...none, table: ['read', 'write', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  {
    method: 'POST', path: '/auth/email/confirm', functionName: 'confirm-email', auth: 'public',
    access: { ...none, table: ['read', 'write'] },
  },
  {
    method: 'DELETE', path: '/me', functionName: 'delete-account', auth: 'protected',
    access: { ...none, table: ['read', 'write', 'querySessions', 'queryUserItems'], secrets: ['mfaKey'], hashesPasswords: true },
  },
  // The admin API: IAM-signed requests only (docs/deploy.md says who may call it).
  {
    method: 'GET', path: '/admin/users', functionName: 'admin-list-users', auth: 'iam',
    access: { ...none, table: ['queryUsers'] },
  },
  {
    method: 'POST', path: '/admin/users', functionName: 'admin-invite-user', auth: 'iam',
    access: { ...none, table: ['enqueueMail'] },
  },
  {
    method: 'GET', path: '/admin/users/{id}', functionName: 'admin-get-user', auth: 'iam',
    access: { ...none, table: ['read', 'batchRead', 'querySessions'] },
  },
  {
    method: 'POST', path: '/admin/users/{id}/disable', functionName: 'admin-disable-user', auth: 'iam',
    access: { ...none, table: ['read', 'write', 'querySessions'] },
  },
  {
    method: 'POST', path: '/admin/users/{id}/enable', functionName: 'admin-enable-user', auth: 'iam',
    access: { ...none, table: ['write'] },
  },
  {
    method: 'PUT', path: '/admin/users/{id}/roles', functionName: 'admin-set-roles', auth: 'iam',
    access: { ...none, table: ['read', 'write', 'querySessions'] },
  },
  {
    method: 'DELETE', path: '/admin/users/{id}/sessions', functionName: 'admin-revoke-sessions', auth: 'iam',
    access: { ...none, table: ['read', 'write', 'querySessions'] },
  },
  {
    method: 'DELETE', path: '/admin/users/{id}/mfa', functionName: 'admin-reset-mfa', auth: 'iam',
    access: { ...none, table: ['read', 'write'] },
  },
  {
    method: 'DELETE', path: '/admin/users/{id}', functionName: 'admin-delete-user', auth: 'iam',
    // queryUserItems: the account's identities are forgotten with it, as at DELETE /me.
    access: { ...none, table: ['read', 'write', 'querySessions', 'queryUserItems'] },
  },
  {
    method: 'GET', path: '/admin/users/{id}/events', functionName: 'admin-list-events', auth: 'iam',
    access: { ...none, table: ['queryEvents'] },
  },
  {
    method: 'GET', path: '/.well-known/jwks.json', functionName: 'jwks', auth: 'public',
    access: { ...none, secrets: ['publicKeys'] },
  },
  {
    method: 'GET', path: '/.well-known/openid-configuration', functionName: 'openid-configuration', auth: 'public',
    access: none,
  },
  {
    method: 'GET', path: '/openapi.json', functionName: 'openapi', auth: 'public',
    access: none,
  },
];

/**
 * The path parameters of `path` if it is an instance of the resource path `template`, else
 * undefined. A parameter stands for exactly one non-empty segment, as in API Gateway; its value is
 * percent-decoded (undefined if that fails: no route).
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const expected = template.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [i, part] of expected.entries()) {
    const segment = actual[i]!;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (segment !== part) return undefined;
      continue;
    }
    if (segment === '') return undefined;
    try {
      parameters[name] = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
  }
  return parameters;
}

/** The REQUEST authorizer in front of every protected route. */
export const authorizer = {
  functionName: 'authorizer',
  /** Header the gateway caches authorizer results by. */
  identitySource: 'Authorization',
  access: { ...none, table: ['read'], secrets: ['publicKeys'] } satisfies FunctionAccess,
} as const;

/**
 * The mailer: fed by the table's stream with inserted mail intents (shared/outbox.ts), not by the
 * API. The only function that may send mail.
 */
export const mailer = {
  functionName: 'mailer',
  access: { ...none, table: ['read', 'write'], sendsMail: true } satisfies FunctionAccess,
} as const;

/**
 * The mail-feedback function: fed by SES's bounce and complaint events (EventBridge), not by the
 * API. It only writes suppression items, which the mailer checks before every mail.
 */
export const mailFeedback = {
  functionName: 'mail-feedback',
  access: { ...none, table: ['recordSuppression'] } satisfies FunctionAccess,
} as const;

/**
 * The lifecycle publisher: fed by the table's stream (user items and security events), it puts
 * user.created, user.deleted, email.changed, roles.changed, account.disabled/enabled on the bus.
 * It reads nothing from the table: the records carry what it publishes.
 */
export const lifecyclePublisher = {
  functionName: 'lifecycle-events',
  access: none satisfies FunctionAccess,
} as const;

/** Every function of the service: routes first, then the authorizer, the mailer, its feedback and the lifecycle publisher. */
export const functionNames = [
  // A function may answer several routes (the provider callback's GET and POST): one function each.
  ...new Set(routes.map((r) => r.functionName)),
  authorizer.functionName,
  mailer.functionName,
  mailFeedback.functionName,
  lifecyclePublisher.functionName,
];
