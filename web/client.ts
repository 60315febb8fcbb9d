import { startAuthentication, startRegistration, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';

/**
 * Browser client for the auth API (docs/api.md, docs/client.md). Its one dependency,
 * @simplewebauthn/browser, turns the passkey routes' JSON options into WebAuthn calls and back.
 *
 * - The access token lives in this closure only: never in storage, never in a URL.
 * - The refresh token lives only in its HttpOnly cookie (Path=/auth); every request is sent with
 *   `credentials: 'include'` so the browser attaches and stores it.
 * - Refreshes are single-flight: concurrent callers share one refresh. Tabs of the same origin
 *   take turns through Web Locks and share the fresh access token (and "session ended") through
 *   a BroadcastChannel, so two tabs do not rotate the same refresh token at once.
 * - The client refreshes shortly before the access token expires while the page is visible, and
 *   before sending a request with an expiring token, so a normal session never meets a 401.
 * - One non-secret flag in localStorage ("this browser may have a session") lets the page-load
 *   restore skip the refresh on a first visit or after logout: a refresh without a cookie would
 *   answer 401, which browsers log as a console error.
 */

export interface User {
  id: string;
  email: string;
  username?: string;
  createdAt: string;
  /**
   * Two-factor authentication (TOTP) is on: a login answers `SecondFactorRequired`, and
   * `changePassword`, `changeEmail`, `deleteAccount`, `disableTotp` and
   * `regenerateRecoveryCodes` need a code. `me()` after `confirmTotp` or `disableTotp` tells the new state.
   */
  mfaEnabled: boolean;
}

/** One live session of the signed-in user, as `GET /auth/sessions` lists it (newest first). */
export interface Session {
  id: string;
  /** True for the session this client is using. */
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  userAgent?: string;
  ipAddress?: string;
}

/** Something that happened to the account, as `GET /me/security-events` lists it (newest first). */
export interface SecurityEvent {
  id: string;
  /** signed_in, locked_out, password_changed, password_reset, email_changed, mfa_enabled, ... */
  type: string;
  at: string;
  ipAddress?: string;
  userAgent?: string;
  /** signed_in: password, totp, recovery_code, passkey, email (a mailed link or code) or identity. */
  method?: string;
  /** identity_linked, identity_unlinked, a sign-in with an identity: the provider's id. */
  provider?: string;
  newDevice?: boolean;
  /** Admin changes: the administrator's IAM identity. */
  actor?: string;
  roles?: string[];
}

/** Login went through: the client now holds a session. */
export interface SignedIn {
  mfaRequired: false;
  user: User;
}

/**
 * The account has two-factor authentication on: the password was right, but no session exists
 * yet. The app asks for a code and completes the login with `mfaToken` (a second step).
 */
export interface SecondFactorRequired {
  mfaRequired: true;
  mfaToken: string;
  methods: Array<'totp' | 'recovery_code'>;
}

export type LoginResult = SignedIn | SecondFactorRequired;

/** A pending TOTP enrollment: show `otpauthUri` as a QR code and `secret` as text for typing. */
export interface TotpEnrollment {
  /** Base32. */
  secret: string;
  otpauthUri: string;
}

/** A passkey of the account, as GET /auth/passkeys lists it. */
export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** Synced to other devices by its provider. */
  backedUp: boolean;
}

/**
 * Step-up before a sensitive change: `{ password }`, or `{ passkey: true }` to prove it with one of
 * the account's passkeys (the browser asks for it), or `{ recentSignIn: true }` for an account with
 * neither (the API accepts a sign-in under 10 minutes old, else 403 `reauthentication_required`:
 * sign in again, then retry); plus `code` while two-factor is on. Every method that takes a step-up
 * also takes the password as a plain string, as it always has.
 */
export type StepUp = ({ password: string } | { passkey: true } | { recentSignIn: true }) & { code?: string };

/** A way the account signs in through an identity provider (GET /auth/methods). */
export interface Identity {
  id: string;
  /** The provider's id, as in signInWith. */
  provider: string;
  /** The address the provider gave when it was linked, if any. */
  email: string | null;
  linkedAt: string;
}

/** How the account can sign in. `password: false` for an account made through a provider. */
export interface SignInMethods {
  password: boolean;
  totp: boolean;
  passkeys: Passkey[];
  identities: Identity[];
}

/** A configured identity provider: its id and the name for "Continue with <name>". */
export interface IdentityProvider {
  id: string;
  name: string;
}

/** The login's second step: a current TOTP code, or one of the recovery codes. */
export type SecondFactorInput = { code: string } | { recoveryCode: string };

/** The codes the API answers with (problem+json `code`); `network_error` is the client's own. */
export type AuthErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'invalid_token'
  | 'invalid_code'
  | 'invalid_credentials'
  | 'invalid_refresh_token'
  | 'session_expired'
  | 'refresh_token_reused'
  | 'unauthorized'
  | 'reauthentication_failed'
  | 'forbidden'
  | 'origin_not_allowed'
  | 'not_found'
  | 'username_taken'
  | 'email_taken'
  | 'mfa_already_enabled'
  | 'mfa_not_pending'
  | 'mfa_not_enabled'
  | 'invalid_passkey'
  | 'last_sign_in_method'
  | 'identity_already_linked'
  | 'reauthentication_required'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'too_many_attempts'
  | 'internal_error'
  | 'service_unavailable'
  | 'network_error'
  | 'unexpected_response';

export interface FieldError {
  field: string;
  message: string;
}

/** A failed call: the problem+json reply of the API, or status 0 / `network_error` when it was unreachable. */
export class AuthError extends Error {
  override name = 'AuthError';
  readonly status: number;
  /** One of AuthErrorCode; a newer API may answer with a code this client does not list yet. */
  readonly code: AuthErrorCode | (string & {});
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  /** From Retry-After on 429/503 replies. */
  readonly retryAfterSeconds?: number;

  constructor(problem: {
    status: number;
    code: string;
    title: string;
    detail?: string;
    errors?: FieldError[];
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    super(problem.detail ?? problem.title, { cause: problem.cause });
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors;
    this.retryAfterSeconds = problem.retryAfterSeconds;
  }
}

/** The part of `navigator.locks` the client uses. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The part of `BroadcastChannel` the client uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** The part of `localStorage` the client uses (for the session flag only, never a token). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface AuthClientOptions {
  /** Where the API lives, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod` or `location.origin`. */
  baseUrl: string;
  /**
   * The app's other APIs that accept this service's access tokens (e.g. an HTTP API with a JWT
   * authorizer): URL prefixes such as `https://api.example.com` or `https://api.example.com/v1`.
   * `fetch` adds the Bearer token to requests under them (and retries once after a refresh on a
   * 401) but never sends them the service's cookies. Everything else gets no token.
   */
  apiOrigins?: readonly string[];
  fetch?: typeof fetch;
  /** Defaults to `navigator.locks` when the browser has it; `null` turns cross-tab locking off. */
  locks?: LockManagerLike | null;
  /** Defaults to a `BroadcastChannel` when the browser has it; `null` turns cross-tab sharing off. */
  broadcast?: BroadcastChannelLike | null;
  /** Defaults to `localStorage`; `null` means "always try to restore". */
  storage?: StorageLike | null;
  /** How the page goes to a provider (signInWith, linkProvider); defaults to `location.assign`. */
  navigate?: (url: string) => void;
}

export interface AuthEvents {
  /** A session became available: after login/verify, a restore, or another tab signing in. */
  'session-started': { reason: 'sign-in' | 'restore' | 'other-tab' };
  /**
   * The session is over and the client holds no token: after logout, after the API refused a
   * refresh (`code` says why: invalid_refresh_token, session_expired, refresh_token_reused), or
   * because another tab saw either. `logout` also covers revoking this very session from the
   * session list; `account-deleted` follows deleteAccount. Send the user to the login screen.
   */
  'session-ended': { reason: 'logout' | 'account-deleted' | 'refresh-refused' | 'other-tab'; code?: string };
}

/**
 * What the client knows, without asking the API: `loading` until the page-load `restore()`
 * settles (only when this browser may have a session), then `signed-in` or `signed-out`. `user`
 * is the last user an API reply named (sign-in, `me()`, `confirmEmail`); after a restore or a
 * sign-in in another tab it stays null until `me()`.
 */
export interface AuthState {
  status: 'loading' | 'signed-in' | 'signed-out';
  user: User | null;
}

export interface AuthClient {
  /** Starts sign-up: the API mails a link to `<APP_URL>/verify?token=…`. The same reply for every address. */
  register(email: string): Promise<{ message: string }>;
  /**
   * Completes sign-up from the mailed link: creates the account with this password (and username)
   * and signs in. On `validation_failed` or `username_taken` the token stays usable: ask again.
   */
  verify(token: string, password: string, username?: string): Promise<User>;
  /**
   * The address a sign-up link creates the account for, so the page can name it; reading it
   * does not use the link up. An unknown, expired or used link is `invalid_token`.
   */
  signupAddress(token: string): Promise<string>;
  /**
   * Signs in, or reports that a second factor is needed (`mfaRequired: true`): then no session
   * exists yet.
   */
  login(input: ({ email: string } | { username: string }) & { password: string }): Promise<LoginResult>;
  /**
   * Completes a login that answered `mfaRequired` with its `mfaToken` and a code (or a recovery
   * code): the session starts as with login. `invalid_code` leaves the token usable (up to 5
   * attempts in 5 minutes); `invalid_token` means log in again.
   */
  verifyMfa(mfaToken: string, factor: SecondFactorInput): Promise<User>;
  /** Signed in: starts two-factor set-up after step-up (pending until confirmTotp). A new call replaces a pending set-up. */
  enrollTotp(stepUp: StepUp | string): Promise<TotpEnrollment>;
  /** Turns two-factor on with a code from the pending secret; answers the ten recovery codes, shown this once. */
  confirmTotp(code: string): Promise<string[]>;
  /** Turns two-factor off after step-up; `code` (or the step-up's) is a current TOTP code or an unused recovery code. */
  disableTotp(stepUp: StepUp | string, code?: string): Promise<void>;
  /** A fresh set of ten recovery codes (the old set stops working); `code` as for disableTotp. */
  regenerateRecoveryCodes(stepUp: StepUp | string, code?: string): Promise<string[]>;
  /** Ends this session (or every session of the user) and tells the other tabs. */
  logout(options?: { scope?: 'session' | 'all' }): Promise<void>;
  me(): Promise<User>;
  /** Mails a reset link to `<APP_URL>/reset-password?token=…` if the address has an account. The same reply for every address. */
  forgotPassword(email: string): Promise<{ message: string }>;
  /** Sets a new password from a reset link. Every session of the account ends; it does not sign in. */
  resetPassword(token: string, password: string): Promise<void>;
  /**
   * Signed in, after step-up (the current password, a passkey, or for an account without a
   * password a recent sign-in: it then sets its first password): every other session of the user
   * ends, this one stays. A wrong current password or passkey is 403 `reauthentication_failed`.
   * With two-factor on, `code` (TOTP or recovery code) is required too.
   */
  changePassword(stepUp: StepUp | string, newPassword: string, code?: string): Promise<void>;
  /** Signed in, after step-up: mails a confirmation link to the new address (unless it belongs to an account; the reply does not say). `code` as for changePassword. */
  changeEmail(stepUp: StepUp | string, newEmail: string, code?: string): Promise<{ message: string }>;
  /** Confirms an email change from the link mailed to the new address. Needs no session. */
  confirmEmail(token: string): Promise<User>;
  /** Deletes the account after step-up (and `code` with two-factor on); the session ends (`account-deleted`). */
  deleteAccount(stepUp: StepUp | string, code?: string): Promise<void>;
  /** The user's live sessions, newest first; `current` marks this one. */
  listSessions(): Promise<Session[]>;
  /** The account's last 50 security events, newest first. */
  listSecurityEvents(): Promise<SecurityEvent[]>;
  /**
   * Ends one session. When it is this client's own (as the last `listSessions` said), this client
   * signs out too and emits `session-ended` with reason `logout`. Unknown ids: 404 `not_found`.
   */
  revokeSession(id: string): Promise<void>;
  /** Signed in: adds a passkey after step-up (the browser creates it). */
  registerPasskey(stepUp: StepUp | string, name?: string): Promise<Passkey>;
  /** The account's passkeys, newest first. */
  listPasskeys(): Promise<Passkey[]>;
  /** Removes a passkey after step-up; the account's last way to sign in is refused (409 `last_sign_in_method`). */
  deletePasskey(id: string, stepUp: StepUp | string): Promise<void>;
  /**
   * Signs in with a passkey (no password, no second step). `conditional: true` waits for the user
   * to pick one from the autofill of an input with `autocomplete="username webauthn"`.
   */
  signInWithPasskey(options?: { conditional?: boolean }): Promise<User>;
  /** Mails a sign-in link (`<APP_URL>/email-signin?token=…`) and a 6-digit code. The same reply for every address. */
  requestEmailSignIn(email: string): Promise<{ message: string }>;
  /**
   * Signs in with the mailed link's token or the address and code; with two-factor on, reports
   * `mfaRequired` (then `verifyMfa`), as `login` does.
   */
  completeEmailSignIn(input: { token: string } | { email: string; code: string }): Promise<LoginResult>;
  /** The identity providers the service offers, for "Continue with <name>" buttons. */
  identityProviders(): Promise<IdentityProvider[]>;
  /**
   * Signs in with a provider: a navigation (the page unloads). The browser comes back to
   * `<APP_URL><returnTo>` (default `/`) signed in, and the usual `restore()` on page load finds
   * the session (no token in any URL); or to `/mfa#mfaToken=…` (two-factor on: `verifyMfa`), or to
   * `/signin#notice=link_mail_sent` or `/signin#error=<code>`. `returnTo` must be a path on the app.
   */
  signInWith(provider: string, options?: { returnTo?: string }): void;
  /**
   * Signed in: connects a provider to the account after step-up (omit it for an account with
   * neither password nor passkey, signed in under 10 minutes ago), then navigates to the provider;
   * back at `returnTo` (default `/`). An account has at most one identity per provider (409
   * `identity_already_linked`).
   */
  linkProvider(provider: string, stepUp?: StepUp, options?: { returnTo?: string }): Promise<void>;
  /** Accepts a mailed "connect <provider>?" link: links the identity and signs in (or reports `mfaRequired`). */
  confirmIdentity(token: string): Promise<LoginResult>;
  /** How the account can sign in: password, two-factor, passkeys, identities. */
  signInMethods(): Promise<SignInMethods>;
  /** Disconnects an identity after step-up (as for linkProvider); the last way to sign in is refused (409 `last_sign_in_method`). */
  unlinkIdentity(id: string, stepUp?: StepUp): Promise<void>;
  /** Forces a refresh; false when there is no session (it then emits 'session-ended'). */
  refresh(): Promise<boolean>;
  /** Call once on page load: one refresh if this browser may have a session. True when signed in. */
  restore(): Promise<boolean>;
  /**
   * `fetch` for the API and the app's `apiOrigins`: paths starting with `/` are relative to
   * baseUrl; the Bearer token is added only to requests under baseUrl or an `apiOrigins` prefix
   * (never sent elsewhere); cookies go only to baseUrl (`credentials: 'include'`), other URLs
   * keep the `credentials` the caller gave, so an API answering `Access-Control-Allow-Origin: *`
   * works; a 401 triggers one refresh and one retry, and a second 401 is returned as is.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  isSignedIn(): boolean;
  /**
   * The access token for a call the app makes itself (a WebSocket, another HTTP client): the one
   * in memory while it is fresh, else one refresh (shared with any refresh in flight). Null when
   * there is no session. Prefer `fetch`, which also retries once after a 401.
   */
  getAccessToken(): Promise<string | null>;
  /** The current state; the same object until something changes (fits React's useSyncExternalStore). */
  getState(): AuthState;
  /** Calls `listener` after every change of the state; returns the unsubscribe function. */
  subscribe(listener: (state: AuthState) => void): () => void;
  on<K extends keyof AuthEvents>(type: K, listener: (detail: AuthEvents[K]) => void): () => void;
  /** Stops the refresh timer and the cross-tab channel. */
  close(): void;
}

interface AccessToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Epoch ms: from here on the token counts as "about to expire" and gets refreshed first. */
  refreshAt: number;
}

type TabMessage = { type: 'token'; access: AccessToken } | { type: 'session-ended' };

interface TokenReply {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** Refresh a minute early, or a fifth of the lifetime for short-lived tokens (tests use seconds). */
function refreshLeadMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 5);
}

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const apiBase = new URL(options.baseUrl, globalThis.location?.href).href.replace(/\/+$/, '');
  const send = options.fetch ?? globalThis.fetch.bind(globalThis);
  const locks = options.locks !== undefined ? options.locks : defaultLocks();
  const channel = options.broadcast !== undefined ? options.broadcast : defaultChannel(`serverless-auth:${apiBase}`);
  const storage = options.storage !== undefined ? options.storage : defaultStorage();
  const tokenPrefixes = (options.apiOrigins ?? []).map(parseApiOrigin);
  const lockName = `serverless-auth:refresh:${apiBase}`;
  const sessionFlagKey = `serverless-auth:may-have-session:${apiBase}`;
  const navigate = options.navigate ?? ((url: string) => globalThis.location.assign(url));

  const listeners = new Map<keyof AuthEvents, Set<(detail: never) => void>>();
  let access: AccessToken | null = null;
  /** This client's own session id, learnt from the last session list. */
  let currentSessionId: string | null = null;
  let refreshing: Promise<string | null> | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  let state: AuthState = { status: mayHaveSession() ? 'loading' : 'signed-out', user: null };
  const stateListeners = new Set<(state: AuthState) => void>();

  /** A new snapshot only when something changed, so subscribers re-render only then. */
  function setState(next: AuthState): void {
    if (next.status === state.status && next.user === state.user) return;
    state = next;
    for (const listener of [...stateListeners]) listener(state);
  }

  /** A reply named the signed-in user: the snapshot shows it. */
  function knowUser<T extends User>(user: T): T {
    if (access !== null) setState({ status: 'signed-in', user });
    return user;
  }

  function emit<K extends keyof AuthEvents>(type: K, detail: AuthEvents[K]): void {
    for (const listener of listeners.get(type) ?? []) (listener as (d: AuthEvents[K]) => void)(detail);
  }

  function mayHaveSession(): boolean {
    return access !== null || storage === null || storage.getItem(sessionFlagKey) === '1';
  }

  function isFresh(token: AccessToken): boolean {
    return Date.now() < token.refreshAt;
  }

  /** `user`: the user a sign-in reply named; a refreshed token keeps the user already known. */
  function adopt(next: AccessToken, reason: AuthEvents['session-started']['reason'], user?: User): void {
    const wasSignedOut = access === null;
    access = next;
    storage?.setItem(sessionFlagKey, '1');
    scheduleRefresh();
    if (reason !== 'other-tab') channel?.postMessage({ type: 'token', access: next } satisfies TabMessage);
    setState({ status: 'signed-in', user: user ?? (wasSignedOut ? null : state.user) });
    if (wasSignedOut) emit('session-started', { reason });
  }

  function adoptReply(reply: TokenReply, reason: AuthEvents['session-started']['reason'], user?: User): string {
    const lifetimeMs = reply.expiresIn * 1000;
    const now = Date.now();
    adopt({ token: reply.accessToken, expiresAt: now + lifetimeMs, refreshAt: now + lifetimeMs - refreshLeadMs(lifetimeMs) }, reason, user);
    return reply.accessToken;
  }

  function endSession(detail: AuthEvents['session-ended']): void {
    access = null;
    currentSessionId = null;
    clearTimeout(refreshTimer);
    storage?.removeItem(sessionFlagKey);
    if (detail.reason !== 'other-tab') channel?.postMessage({ type: 'session-ended' } satisfies TabMessage);
    setState({ status: 'signed-out', user: null });
    emit('session-ended', detail);
  }

  function scheduleRefresh(): void {
    clearTimeout(refreshTimer);
    if (access === null) return;
    refreshTimer = setTimeout(refreshIfInUse, Math.max(0, access.refreshAt - Date.now()));
  }

  /** A hidden tab waits: it refreshes when it becomes visible again (or before its next request). */
  function refreshIfInUse(): void {
    if (access === null || isFresh(access) || globalThis.document?.visibilityState === 'hidden') return;
    // A failure here is not the caller's problem: a network error is retried before the next
    // request, and a refused refresh has already emitted 'session-ended'.
    refreshAccessToken(access.token).catch(() => {});
  }

  channel?.addEventListener('message', ({ data }) => {
    const message = data as TabMessage;
    if (message?.type === 'token') {
      // Messages can cross: keep whichever token lives longer.
      if (access === null || message.access.expiresAt > access.expiresAt) adopt(message.access, 'other-tab');
    } else if (message?.type === 'session-ended' && access !== null) {
      endSession({ reason: 'other-tab' });
    }
  });
  globalThis.document?.addEventListener('visibilitychange', refreshIfInUse);

  /**
   * The single flight: every caller that finds the token stale joins the refresh in progress.
   * `staleToken` is the token the caller found wanting; if a newer one already arrived (from
   * this tab or, via the channel, another) it is used without asking the server.
   */
  function refreshAccessToken(staleToken: string | null): Promise<string | null> {
    if (access !== null && access.token !== staleToken && isFresh(access)) return Promise.resolve(access.token);
    if (!mayHaveSession()) return Promise.resolve(null);
    refreshing ??= (async () => {
      const exchange = async (): Promise<string | null> => {
        // While this tab waited for the lock, another tab may have refreshed and shared its token.
        if (access !== null && access.token !== staleToken && isFresh(access)) return access.token;
        return exchangeRefreshCookie();
      };
      return locks ? locks.request(lockName, exchange) : exchange();
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function exchangeRefreshCookie(): Promise<string | null> {
    const response = await transmit(jsonRequest('/auth/refresh', {}));
    if (response.ok) return adoptReply((await response.json()) as TokenReply, 'restore');
    const error = await toAuthError(response);
    if (response.status !== 401) throw error;
    endSession({ reason: 'refresh-refused', code: error.code });
    return null;
  }

  /** The token to send now: refreshed first if it is about to expire, so the request does not meet a 401. */
  async function tokenForRequest(): Promise<string | null> {
    if (access !== null && isFresh(access)) return access.token;
    const current = access?.token ?? null;
    try {
      return await refreshAccessToken(current);
    } catch {
      // Refresh unreachable: the current token may still have a few seconds of life.
      return access?.token ?? null;
    }
  }

  async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const resolved = typeof input === 'string' && input.startsWith('/') ? apiBase + input : input;
    const addressed = new Request(resolved, init);
    // Cookies (the refresh token's, the device cookie) are the service's alone: another API gets
    // the caller's own credentials mode, so one that answers `*` to CORS still works.
    const request = isApiUrl(addressed.url) ? new Request(addressed, { credentials: 'include' }) : addressed;
    if (!isApiUrl(request.url) && !tokenPrefixes.some((prefix) => isUnderPrefix(request.url, prefix))) return transmit(request);

    const token = await tokenForRequest();
    const response = await transmit(withBearer(request, token));
    if (response.status !== 401) return response;
    const fresh = await refreshAccessToken(token);
    if (fresh === null) return response;
    return transmit(withBearer(request, fresh));
  }

  function isApiUrl(url: string): boolean {
    return url === apiBase || url.startsWith(`${apiBase}/`) || url.startsWith(`${apiBase}?`);
  }

  function withBearer(request: Request, token: string | null): Request {
    const attempt = request.clone();
    if (token !== null) attempt.headers.set('Authorization', `Bearer ${token}`);
    return attempt;
  }

  function jsonRequest(path: string, body: unknown): Request {
    return new Request(apiBase + path, {
      method: 'POST',
      credentials: 'include',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async function transmit(request: Request): Promise<Response> {
    try {
      return await send(request);
    } catch (cause) {
      throw new AuthError({ status: 0, code: 'network_error', title: 'The service could not be reached.', cause });
    }
  }

  async function expectOk<T>(response: Response): Promise<T> {
    if (!response.ok) throw await toAuthError(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  type SignInReply = TokenReply & { user: User };

  async function signIn(path: string, body: unknown): Promise<User> {
    const reply = await expectOk<SignInReply>(await transmit(jsonRequest(path, body)));
    adoptReply(reply, 'sign-in', reply.user);
    return reply.user;
  }

  async function post<T>(path: string, body: unknown): Promise<T> {
    return expectOk<T>(await transmit(jsonRequest(path, body)));
  }

  /** A call that needs the session: Bearer, one refresh and retry on 401; any other error is the caller's (a 403 never ends the session). */
  async function authorized<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    return expectOk<T>(await authorizedFetch(path, init));
  }

  /** A sign-in that may answer `mfaRequired` instead of a session (password login, email sign-in). */
  async function signInOrSecondFactor(path: string, body: unknown): Promise<LoginResult> {
    const reply = await post<SignInReply | SecondFactorRequired>(path, body);
    if ('mfaRequired' in reply && reply.mfaRequired === true) return reply;
    adoptReply(reply as SignInReply, 'sign-in', (reply as SignInReply).user);
    return { mfaRequired: false, user: (reply as SignInReply).user };
  }

  /** An assertion on a fresh challenge: for a passkey sign-in, or a passkey step-up. */
  async function passkeyAssertion(useBrowserAutofill = false) {
    const optionsJSON = await post<PublicKeyCredentialRequestOptionsJSON>('/auth/passkeys/login/options', {});
    return startAuthentication({ optionsJSON, useBrowserAutofill });
  }

  /** The step-up fields of a body; a plain string is the password. Password change names it `currentPassword`. */
  async function stepUpBody(stepUp: StepUp | string, code?: string, passwordField: 'password' | 'currentPassword' = 'password'): Promise<Record<string, unknown>> {
    const given: StepUp = typeof stepUp === 'string' ? { password: stepUp } : stepUp;
    const proof = 'passkey' in given ? { passkey: await passkeyAssertion() } : 'password' in given ? { [passwordField]: given.password } : {};
    return { ...proof, ...withCode(code ?? given.code) };
  }

  return {
    register: (email) => post('/auth/register', { email }),
    verify: (token, password, username) => signIn('/auth/verify', username ? { token, password, username } : { token, password }),

    async signupAddress(token) {
      const { email } = await post<{ email: string }>('/auth/verify/address', { token });
      return email;
    },

    login: (input) => signInOrSecondFactor('/auth/login', input),
    requestEmailSignIn: (email) => post('/auth/email-signin', { email }),
    completeEmailSignIn: (input) => signInOrSecondFactor('/auth/email-signin/verify', input),

    verifyMfa: (mfaToken, factor) => signIn('/auth/mfa/verify', { mfaToken, ...factor }),
    enrollTotp: async (stepUp) => authorized('POST', '/auth/mfa/totp/enroll', await stepUpBody(stepUp)),

    async confirmTotp(code) {
      const { recoveryCodes } = await authorized<{ recoveryCodes: string[] }>('POST', '/auth/mfa/totp/confirm', { code });
      if (state.user) knowUser({ ...state.user, mfaEnabled: true });
      return recoveryCodes;
    },

    disableTotp: async (stepUp, code) => authorized('DELETE', '/auth/mfa/totp', await stepUpBody(stepUp, code)),

    async regenerateRecoveryCodes(stepUp, code) {
      const { recoveryCodes } = await authorized<{ recoveryCodes: string[] }>('POST', '/auth/mfa/recovery-codes', await stepUpBody(stepUp, code));
      return recoveryCodes;
    },

    async logout({ scope = 'session' } = {}) {
      if (!mayHaveSession()) return;
      const response = await authorizedFetch('/auth/logout', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ scope }),
      });
      // A 401 here means the session was already over: the outcome the caller wanted.
      if (!response.ok && response.status !== 401) throw await toAuthError(response);
      if (access !== null || response.ok) endSession({ reason: 'logout' });
    },

    async me() {
      const { user } = await authorized<{ user: User }>('GET', '/me');
      return knowUser(user);
    },

    forgotPassword: (email) => post('/auth/password/forgot', { email }),
    resetPassword: (token, password) => post('/auth/password/reset', { token, password }),
    changePassword: async (stepUp, newPassword, code) => authorized('POST', '/auth/password/change', { ...(await stepUpBody(stepUp, code, 'currentPassword')), newPassword }),
    changeEmail: async (stepUp, newEmail, code) => authorized('POST', '/auth/email/change', { ...(await stepUpBody(stepUp, code)), newEmail }),

    async confirmEmail(token) {
      const { user } = await post<{ user: User }>('/auth/email/confirm', { token });
      // Confirmed from a link: maybe in another browser, maybe for the user signed in here.
      return state.user?.id === user.id ? knowUser(user) : user;
    },

    async deleteAccount(stepUp, code) {
      await authorized('DELETE', '/me', await stepUpBody(stepUp, code));
      endSession({ reason: 'account-deleted' });
    },

    async listSessions() {
      const { sessions } = await authorized<{ sessions: Session[] }>('GET', '/auth/sessions');
      currentSessionId = sessions.find((session) => session.current)?.id ?? null;
      return sessions;
    },

    async listSecurityEvents() {
      const { events } = await authorized<{ events: SecurityEvent[] }>('GET', '/me/security-events');
      return events;
    },
    async revokeSession(id) {
      await authorized('DELETE', `/auth/sessions/${encodeURIComponent(id)}`);
      if (id === currentSessionId) endSession({ reason: 'logout' });
    },

    async registerPasskey(stepUp, name) {
      const optionsJSON = await authorized<PublicKeyCredentialCreationOptionsJSON>('POST', '/auth/passkeys/register/options', await stepUpBody(stepUp));
      const response = await startRegistration({ optionsJSON });
      const { passkey } = await authorized<{ passkey: Passkey }>('POST', '/auth/passkeys/register', { response, ...(name ? { name } : {}) });
      return passkey;
    },

    async listPasskeys() {
      const { passkeys } = await authorized<{ passkeys: Passkey[] }>('GET', '/auth/passkeys');
      return passkeys;
    },

    async deletePasskey(id, stepUp) {
      await authorized('DELETE', `/auth/passkeys/${encodeURIComponent(id)}`, await stepUpBody(stepUp));
    },

    async signInWithPasskey({ conditional = false } = {}) {
      const response = await passkeyAssertion(conditional);
      return signIn('/auth/passkeys/login', { response });
    },

    async identityProviders() {
      const response = await transmit(new Request(`${apiBase}/auth/providers`, { credentials: 'include' }));
      const { providers } = await expectOk<{ providers: IdentityProvider[] }>(response);
      return providers;
    },

    signInWith(provider, { returnTo = '/' } = {}) {
      // The callback sets the refresh cookie: the next page load's restore must try it.
      storage?.setItem(sessionFlagKey, '1');
      navigate(`${apiBase}/auth/oauth/${encodeURIComponent(provider)}/start?returnTo=${encodeURIComponent(returnTo)}`);
    },

    async linkProvider(provider, stepUp, { returnTo = '/' } = {}) {
      const body = { ...(stepUp ? await stepUpBody(stepUp) : {}), returnTo };
      const { authorizationUrl } = await authorized<{ authorizationUrl: string }>('POST', `/auth/oauth/${encodeURIComponent(provider)}/link`, body);
      navigate(authorizationUrl);
    },

    confirmIdentity: (token) => signInOrSecondFactor('/auth/identities/confirm', { token }),
    signInMethods: () => authorized<SignInMethods>('GET', '/auth/methods'),

    async unlinkIdentity(id, stepUp) {
      await authorized('DELETE', `/auth/identities/${encodeURIComponent(id)}`, stepUp ? await stepUpBody(stepUp) : {});
    },

    refresh: async () => (await refreshAccessToken(access?.token ?? null)) !== null,
    async restore() {
      try {
        const restored = (await refreshAccessToken(null)) !== null;
        if (!restored) setState({ status: 'signed-out', user: null });
        return restored;
      } catch (error) {
        // Unreachable: not signed in for now, rather than loading for ever.
        if (access === null) setState({ status: 'signed-out', user: null });
        throw error;
      }
    },
    fetch: authorizedFetch,
    isSignedIn: () => access !== null,

    async getAccessToken() {
      if (access !== null && isFresh(access)) return access.token;
      return refreshAccessToken(access?.token ?? null);
    },

    getState: () => state,

    subscribe(listener) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },

    on(type, listener) {
      const set = listeners.get(type) ?? new Set();
      listeners.set(type, set);
      set.add(listener);
      return () => set.delete(listener);
    },

    close() {
      clearTimeout(refreshTimer);
      channel?.close();
      globalThis.document?.removeEventListener('visibilitychange', refreshIfInUse);
    },
  };
}

/** An `apiOrigins` entry: an absolute http(s) URL, its path the prefix (no query, no fragment). */
interface UrlPrefix {
  origin: string;
  /** Without a trailing slash; '' for a whole origin. */
  path: string;
}

function parseApiOrigin(prefix: string): UrlPrefix {
  let url: URL;
  try {
    url = new URL(prefix);
  } catch {
    throw new TypeError(`apiOrigins: "${prefix}" is not an absolute URL`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
    throw new TypeError(`apiOrigins: "${prefix}" must be an http(s) URL prefix without query, fragment or credentials`);
  }
  return { origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
}

/**
 * Same origin (scheme, host and port: `https://api.example.com.evil.test` is another), and the
 * path is the prefix's or below it at a segment boundary (`/v1` covers `/v1/x`, not `/v10`).
 */
function isUnderPrefix(url: string, prefix: UrlPrefix): boolean {
  const target = new URL(url);
  if (target.origin !== prefix.origin) return false;
  return prefix.path === '' || target.pathname === prefix.path || target.pathname.startsWith(`${prefix.path}/`);
}

/** The step-up `code` field only when there is one: without two-factor the routes ask for none. */
function withCode(code: string | undefined): { code?: string } {
  return code === undefined || code === '' ? {} : { code };
}

async function toAuthError(response: Response): Promise<AuthError> {
  const isJson = /json/i.test(response.headers.get('Content-Type') ?? '');
  const problem = (isJson ? await response.json().catch(() => ({})) : {}) as Partial<{
    code: string;
    title: string;
    detail: string;
    errors: FieldError[];
  }>;
  const retryAfter = Number(response.headers.get('Retry-After'));
  return new AuthError({
    status: response.status,
    code: typeof problem.code === 'string' ? problem.code : 'unexpected_response',
    title: problem.title ?? (response.statusText || `HTTP ${response.status}`),
    detail: problem.detail,
    errors: problem.errors,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  });
}

function defaultLocks(): LockManagerLike | null {
  return (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks ?? null;
}

function defaultChannel(name: string): BroadcastChannelLike | null {
  return typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(name);
}

function defaultStorage(): StorageLike | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Storage can be blocked (privacy settings, sandboxed iframes): then always try to restore.
    return null;
  }
}
