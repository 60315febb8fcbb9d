import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  createAuthClient,
  type AuthClient,
  type AuthClientOptions,
  type BroadcastChannelLike,
  type LockManagerLike,
  type StorageLike,
} from '../../web/client';

/** What the browser's authenticator answers a passkey step-up with (the WebAuthn ceremony itself runs in the e2e tests). */
const passkeyAssertion = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' }, clientExtensionResults: {} };
vi.mock('@simplewebauthn/browser', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@simplewebauthn/browser')>()),
  startAuthentication: async () => passkeyAssertion,
}));

const baseUrl = 'https://api.example.test/prod';
const user = { id: 'u1', email: 'ada@example.com', createdAt: '2026-01-01T00:00:00.000Z', mfaEnabled: false };
const rightPassword = 'correct horse';
const sessions = [
  { id: 's-this', current: true, createdAt: '2026-01-02T00:00:00.000Z', lastUsedAt: '2026-01-02T00:05:00.000Z', userAgent: 'Chromium', ipAddress: '203.0.113.7' },
  { id: 's-phone', current: false, createdAt: '2026-01-01T00:00:00.000Z', lastUsedAt: '2026-01-01T00:05:00.000Z', userAgent: 'Safari', ipAddress: '198.51.100.2' },
];

function problem(status: number, code: string, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ type: `urn:serverless-auth:error:${code}`, title: `title of ${code}`, status, code, ...extra }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/**
 * A fake of the API behind `fetch`: it issues numbered access tokens, accepts only the newest
 * one on /me and /auth/logout, and answers /auth/refresh as told. Every request is recorded.
 */
function fakeApi() {
  const api = {
    requests: [] as Request[],
    issued: 0,
    validToken: null as string | null,
    expiresIn: 900,
    refreshReply: null as null | (() => Response),
    /** Holds refresh replies back until released, so that callers can pile up behind one refresh. */
    refreshGate: null as Promise<void> | null,
    calls(path: string) {
      return api.requests.filter((r) => new URL(r.url).pathname === `/prod${path}`).length;
    },
    /** When set, login answers that a second factor is needed. */
    secondFactor: false,
    /** Answer 429 too_many_attempts with Retry-After to password re-checks. */
    locked: false,
    /** Expiry of the valid token (the fake clock of vi.useFakeTimers moves it). */
    validUntil: Infinity,
    issue() {
      api.validToken = `access-${++api.issued}`;
      api.validUntil = Date.now() + api.expiresIn * 1000;
      return { accessToken: api.validToken, tokenType: 'Bearer', expiresIn: api.expiresIn };
    },
    fetch: (async (input: RequestInfo | URL) => {
      const request = input as Request;
      api.requests.push(request);
      // A client that loops on 401s would otherwise spin on microtasks forever.
      if (api.requests.length > 100) throw new Error('the client is looping');
      const path = new URL(request.url).pathname.replace('/prod', '');
      const bearer = request.headers.get('Authorization');
      const authorized = bearer === `Bearer ${api.validToken}` && Date.now() < api.validUntil;
      await Promise.resolve();
      const body = request.method === 'GET' ? {} : ((await request.clone().json().catch(() => ({}))) as Record<string, string>);
      /** The protected routes with step-up: 401 first, then the password or the passkey assertion. */
      const reauthenticated = (password: string | undefined, success: () => Response) => {
        if (!authorized) return problem(401, 'unauthorized');
        if (api.locked) return new Response(JSON.stringify({ code: 'too_many_attempts', title: 'Locked', status: 429 }), { status: 429, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '42' } });
        const passkey = (body as Record<string, unknown>).passkey as { id?: string } | undefined;
        return password === rightPassword || passkey?.id === passkeyAssertion.id ? success() : problem(403, 'reauthentication_failed');
      };
      switch (`${request.method} ${path}`) {
        case 'POST /auth/passkeys/login/options':
          return json(200, { challenge: 'Y2hhbGxlbmdl', rpId: 'localhost', userVerification: 'required', allowCredentials: [] });
        case 'POST /auth/register':
        case 'POST /auth/password/forgot':
          return json(202, { message: 'Check your mail.' });
        case 'POST /auth/login':
          if (api.secondFactor) return json(200, { mfaRequired: true, mfaToken: 'mfa-1', methods: ['totp', 'recovery_code'] });
          return json(200, { user, ...api.issue() });
        case 'POST /auth/verify':
          if (body.username === 'taken') return problem(409, 'username_taken', { errors: [{ field: 'username', message: 'is already taken' }] });
          return json(200, { user: { ...user, username: body.username }, ...api.issue() });
        case 'POST /auth/refresh':
          if (api.refreshGate) await api.refreshGate;
          return api.refreshReply?.() ?? json(200, api.issue());
        case 'POST /auth/logout':
          return authorized ? new Response(null, { status: 204 }) : problem(401, 'unauthorized');
        case 'GET /me':
          return authorized ? json(200, { user }) : problem(401, 'unauthorized');
        case 'POST /auth/password/reset':
          return body.token === 'reset-token' ? new Response(null, { status: 204 }) : problem(400, 'invalid_token');
        case 'POST /auth/password/change':
          return reauthenticated(body.currentPassword, () => new Response(null, { status: 204 }));
        case 'POST /auth/email/change':
          return reauthenticated(body.password, () => json(202, { message: 'Check the new mailbox.' }));
        case 'POST /auth/email/confirm':
          return body.token === 'confirm-token' ? json(200, { user: { ...user, email: 'ada@new.example' } }) : problem(400, 'invalid_token');
        case 'DELETE /me':
          return reauthenticated(body.password, () => new Response(null, { status: 204 }));
        case 'POST /auth/mfa/verify':
          if (body.mfaToken !== 'mfa-1') return problem(400, 'invalid_token');
          return body.code === '123456' || body.recoveryCode === 'abcde-12345' ? json(200, { user, ...api.issue() }) : problem(400, 'invalid_code');
        case 'POST /auth/mfa/totp/enroll':
          return reauthenticated(body.password, () => json(200, { secret: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/Demo:ada%40example.com?secret=JBSWY3DPEHPK3PXP' }));
        case 'POST /auth/mfa/totp/confirm':
          if (!authorized) return problem(401, 'unauthorized');
          return body.code === '123456' ? json(200, { recoveryCodes: ['abcde-12345'] }) : problem(400, 'invalid_code');
        case 'POST /auth/mfa/recovery-codes':
          return reauthenticated(body.password, () => (body.code === '123456' ? json(200, { recoveryCodes: ['fghjk-67890'] }) : problem(400, 'invalid_code')));
        case 'DELETE /auth/mfa/totp':
          return reauthenticated(body.password, () => (body.code === '123456' ? new Response(null, { status: 204 }) : problem(400, 'invalid_code')));
        case 'GET /auth/sessions':
          return authorized ? json(200, { sessions }) : problem(401, 'unauthorized');
        case 'DELETE /auth/sessions/s-this':
        case 'DELETE /auth/sessions/s-phone':
          return authorized ? new Response(null, { status: 204 }) : problem(401, 'unauthorized');
        default:
          return problem(404, 'not_found');
      }
    }) as typeof fetch,
  };
  return api;
}

function memoryStorage(): StorageLike & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}

/** Web Locks as a browser has them for one origin: one holder at a time, the others queue. */
function fakeLocks(): LockManagerLike {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    request<T>(_name: string, callback: () => Promise<T>) {
      const turn = tail.then(callback);
      tail = turn.catch(() => {});
      return turn;
    },
  };
}

/** BroadcastChannels of one origin: a message reaches every other channel, not the sender. */
function fakeChannels() {
  const members: Array<(data: unknown) => void> = [];
  return (): BroadcastChannelLike => {
    let deliver: (data: unknown) => void = () => {};
    const self = (data: unknown) => deliver(data);
    members.push(self);
    return {
      postMessage: (data) => members.filter((m) => m !== self).forEach((m) => m(structuredClone(data))),
      addEventListener: (_type, listener) => {
        deliver = (data) => listener({ data });
      },
      close: () => void members.splice(members.indexOf(self), 1),
    };
  };
}

const clients: AuthClient[] = [];

function newClient(api: ReturnType<typeof fakeApi>, options: Partial<AuthClientOptions> = {}): AuthClient {
  const client = createAuthClient({ baseUrl, fetch: api.fetch, locks: null, broadcast: null, storage: null, ...options });
  clients.push(client);
  return client;
}

afterEach(() => {
  clients.splice(0).forEach((c) => c.close());
  vi.useRealTimers();
});

describe('web client', () => {
  it('sends the access token as a Bearer header and every request with credentials', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });

    // Act
    const me = await client.me();

    // Assess
    expect(me.email).toBe('ada@example.com');
    const meRequest = api.requests.at(-1)!;
    expect(meRequest.headers.get('Authorization')).toBe('Bearer access-1');
    expect(api.requests.every((r) => r.credentials === 'include')).toBe(true);
  });

  it('never sends the token to another origin', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });

    // Act
    await client.fetch('https://elsewhere.example.test/prod/me');

    // Assess
    expect(api.requests.at(-1)!.headers.get('Authorization')).toBeNull();
  });

  it('refreshes once for many concurrent requests that meet a 401, then retries each', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });
    api.validToken = 'revoked-by-the-server';
    let releaseRefresh = () => {};
    api.refreshGate = new Promise((resolve) => (releaseRefresh = resolve));

    // Act
    const replies = Array.from({ length: 5 }, () => client.fetch('/me'));
    await vi.waitFor(() => expect(api.calls('/auth/refresh')).toBe(1));
    releaseRefresh();
    const statuses = (await Promise.all(replies)).map((r) => r.status);

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(api.calls('/auth/refresh')).toBe(1);
  });

  it('retries only once: a second 401 is handed back to the caller', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });
    api.validToken = 'nothing-the-client-holds';
    api.refreshReply = () => json(200, { accessToken: 'also-refused', tokenType: 'Bearer', expiresIn: 900 });

    // Act
    const response = await client.fetch('/me');

    // Assess
    expect(response.status).toBe(401);
    expect(api.calls('/me')).toBe(2);
    expect(api.calls('/auth/refresh')).toBe(1);
  });

  it('ends the session and tells the app when the API refuses the refresh', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });
    const ended = vi.fn();
    client.on('session-ended', ended);
    api.validToken = 'revoked-by-the-server';
    api.refreshReply = () => problem(401, 'refresh_token_reused');

    // Act
    const response = await client.fetch('/me');

    // Assess
    expect(response.status).toBe(401);
    expect(ended).toHaveBeenCalledExactlyOnceWith({ reason: 'refresh-refused', code: 'refresh_token_reused' });
    expect(client.isSignedIn()).toBe(false);
  });

  it('refreshes shortly before the access token expires while the page is in use', async () => {
    // Prepare
    vi.useFakeTimers();
    const api = fakeApi();
    api.expiresIn = 300;
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });

    // Act
    await vi.advanceTimersByTimeAsync(299_000);

    // Assess
    expect(api.calls('/auth/refresh')).toBe(1);
    expect(api.calls('/me')).toBe(0);
  });

  it('refreshes before sending a request whose token has expired instead of meeting a 401', async () => {
    // Prepare
    vi.useFakeTimers();
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });
    api.refreshReply = () => problem(503, 'service_unavailable'); // the background refresh fails...
    await vi.advanceTimersByTimeAsync(901_000);
    api.refreshReply = null; // ...and the service is back when the user acts

    // Act
    const me = await client.me();

    // Assess
    expect(me.email).toBe('ada@example.com');
    expect(api.calls('/me')).toBe(1);
  });

  it('restores the session on page load with one refresh', async () => {
    // Prepare
    const api = fakeApi();
    const storage = memoryStorage();
    await newClient(api, { storage }).login({ email: 'ada@example.com', password: 'correct horse' });
    const reloaded = newClient(api, { storage });

    // Act
    const signedIn = await reloaded.restore();

    // Assess
    expect(signedIn).toBe(true);
    expect(api.calls('/auth/refresh')).toBe(1);
    const refresh = api.requests.find((r) => r.url.endsWith('/auth/refresh'))!;
    expect(refresh.method).toBe('POST');
    expect(refresh.headers.get('Content-Type')).toBe('application/json');
    expect(await refresh.text()).toBe('{}');
  });

  it('does not call the API on page load when this browser never signed in or has logged out', async () => {
    // Prepare
    const api = fakeApi();
    const storage = memoryStorage();
    const earlier = newClient(api, { storage });
    await earlier.login({ email: 'ada@example.com', password: 'correct horse' });
    await earlier.logout();
    const requestsBefore = api.requests.length;

    // Act
    const signedIn = await newClient(api, { storage }).restore();

    // Assess
    expect(signedIn).toBe(false);
    expect(api.requests.length).toBe(requestsBefore);
  });

  it('keeps the access token out of storage and out of URLs', async () => {
    // Prepare
    const api = fakeApi();
    const storage = memoryStorage();
    const client = newClient(api, { storage });

    // Act
    await client.login({ email: 'ada@example.com', password: 'correct horse' });
    await client.refresh();
    await client.me();

    // Assess
    const stored = [...storage.values].join(' ');
    expect(stored).not.toMatch(/access-\d/);
    expect(api.requests.some((r) => /access-\d/.test(r.url))).toBe(false);
  });

  it('turns problem+json replies into AuthErrors carrying status, code, title and field errors', async () => {
    // Prepare
    const api = fakeApi();
    const errors = [{ field: 'password', message: 'Too short.' }];
    api.fetch = (async () => problem(400, 'validation_failed', { detail: 'Check the fields.', errors })) as typeof fetch;
    const client = newClient(api);

    // Act
    const error = await client.verify('token', 'short').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 400, code: 'validation_failed', title: 'title of validation_failed', detail: 'Check the fields.', errors });
  });

  it('reports an unreachable API as a network_error AuthError', async () => {
    // Prepare
    const api = fakeApi();
    api.fetch = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const client = newClient(api);

    // Act
    const error = await client.login({ email: 'ada@example.com', password: 'x' }).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('logs out with the chosen scope, forgets the token and tells the app', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: 'correct horse' });
    const ended = vi.fn();
    client.on('session-ended', ended);

    // Act
    await client.logout({ scope: 'all' });

    // Assess
    const logout = api.requests.find((r) => r.url.endsWith('/auth/logout'))!;
    expect(await logout.json()).toEqual({ scope: 'all' });
    expect(logout.headers.get('Authorization')).toBe('Bearer access-1');
    expect(ended).toHaveBeenCalledWith({ reason: 'logout' });
    expect(client.isSignedIn()).toBe(false);
  });

  describe('sign-up', () => {
    it('registers with the email alone', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      const reply = await client.register('ada@example.com');

      // Assess
      expect(reply).toEqual({ message: 'Check your mail.' });
      expect(await api.requests.at(-1)!.json()).toEqual({ email: 'ada@example.com' });
      expect(client.isSignedIn()).toBe(false);
    });

    it('verifies with the token, the chosen password and username, and signs in', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);
      const started = vi.fn();
      client.on('session-started', started);

      // Act
      const verified = await client.verify('mail-token', 'correct horse', 'ada');

      // Assess
      expect(verified.username).toBe('ada');
      expect(await api.requests.at(-1)!.json()).toEqual({ token: 'mail-token', password: 'correct horse', username: 'ada' });
      expect(client.isSignedIn()).toBe(true);
      expect(started).toHaveBeenCalledWith({ reason: 'sign-in' });
    });

    it('leaves the username out of the verify body when none is given', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      await client.verify('mail-token', 'correct horse');

      // Assess
      expect(await api.requests.at(-1)!.json()).toEqual({ token: 'mail-token', password: 'correct horse' });
    });

    it('reports a taken username with its field and stays signed out', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      const error = await client.verify('mail-token', 'correct horse', 'taken').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 409, code: 'username_taken', errors: [{ field: 'username', message: 'is already taken' }] });
      expect(client.isSignedIn()).toBe(false);
    });
  });

  describe('login', () => {
    it('answers signed in with the user', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      const result = await client.login({ username: 'ada', password: rightPassword });

      // Assess
      expect(result).toEqual({ mfaRequired: false, user });
      expect(client.isSignedIn()).toBe(true);
    });

    it('hands back the second-factor challenge without starting a session', async () => {
      // Prepare
      const api = fakeApi();
      api.secondFactor = true;
      const client = newClient(api);
      const started = vi.fn();
      client.on('session-started', started);

      // Act
      const result = await client.login({ email: 'ada@example.com', password: rightPassword });

      // Assess
      expect(result).toEqual({ mfaRequired: true, mfaToken: 'mfa-1', methods: ['totp', 'recovery_code'] });
      expect(client.isSignedIn()).toBe(false);
      expect(started).not.toHaveBeenCalled();
    });
  });

  describe('two-factor', () => {
    it('completes a login that needs a second factor with a code or a recovery code, starting the session then', async () => {
      // Prepare
      const api = fakeApi();
      api.secondFactor = true;
      const client = newClient(api);
      const started = vi.fn();
      client.on('session-started', started);
      const challenge = await client.login({ email: 'ada@example.com', password: rightPassword });

      // Act
      const wrong = await client.verifyMfa('mfa-1', { code: '000000' }).catch((e: unknown) => e);
      const viaCode = await client.verifyMfa(challenge.mfaRequired ? challenge.mfaToken : '', { code: '123456' });
      const viaRecovery = await client.verifyMfa('mfa-1', { recoveryCode: 'abcde-12345' });

      // Assess
      expect(wrong).toMatchObject({ status: 400, code: 'invalid_code' });
      expect(viaCode).toEqual(user);
      expect(viaRecovery).toEqual(user);
      expect(client.isSignedIn()).toBe(true);
      expect(started).toHaveBeenCalledWith({ reason: 'sign-in' });
      const bodies = await Promise.all(api.requests.filter((r) => r.url.endsWith('/auth/mfa/verify')).map((r) => r.clone().json()));
      expect(bodies.slice(1)).toEqual([{ mfaToken: 'mfa-1', code: '123456' }, { mfaToken: 'mfa-1', recoveryCode: 'abcde-12345' }]);
    });

    it('enrolls, confirms, regenerates and disables with the session, surfacing the API codes', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);
      await client.login({ email: 'ada@example.com', password: rightPassword });

      // Act
      const enrollment = await client.enrollTotp(rightPassword);
      const wrongPassword = await client.enrollTotp('wrong').catch((e: unknown) => e);
      const recoveryCodes = await client.confirmTotp('123456');
      const fresh = await client.regenerateRecoveryCodes(rightPassword, '123456');
      const wrongCode = await client.disableTotp(rightPassword, '000000').catch((e: unknown) => e);
      await client.disableTotp(rightPassword, '123456');

      // Assess
      expect(enrollment).toEqual({ secret: 'JBSWY3DPEHPK3PXP', otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//) });
      expect(wrongPassword).toMatchObject({ status: 403, code: 'reauthentication_failed' });
      expect(recoveryCodes).toEqual(['abcde-12345']);
      expect(fresh).toEqual(['fghjk-67890']);
      expect(wrongCode).toMatchObject({ status: 400, code: 'invalid_code' });
      const disable = api.requests.at(-1)!;
      expect(disable.method).toBe('DELETE');
      expect(disable.headers.get('Authorization')).toBe(`Bearer ${api.validToken}`);
    });

    it('sends the step-up code with password change, email change and deletion only when one is given', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);
      await client.login({ email: 'ada@example.com', password: rightPassword });

      // Act
      await client.changePassword(rightPassword, 'a new long password', '123456');
      await client.changeEmail(rightPassword, 'ada@new.example');
      await client.deleteAccount(rightPassword, 'abcde-12345');

      // Assess
      const bodies = await Promise.all(api.requests.slice(-3).map((r) => r.clone().json()));
      expect(bodies).toEqual([
        { currentPassword: rightPassword, newPassword: 'a new long password', code: '123456' },
        { password: rightPassword, newEmail: 'ada@new.example' },
        { password: rightPassword, code: 'abcde-12345' },
      ]);
    });

    it('steps up with a passkey assertion on a fresh challenge, a password object, or a recent sign-in alone', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);
      await client.login({ email: 'ada@example.com', password: rightPassword });

      // Act
      await client.changeEmail({ passkey: true, code: '123456' }, 'ada@new.example');
      await client.changePassword({ password: rightPassword }, 'a new long password');
      await client.regenerateRecoveryCodes({ passkey: true }, '123456');
      await expect(client.deleteAccount({ recentSignIn: true })).rejects.toMatchObject({ status: 403, code: 'reauthentication_failed' });

      // Assess: each passkey step-up fetched its own challenge first.
      const sent = api.requests.filter((r) => !r.url.endsWith('/auth/login'));
      expect(sent.map((r) => `${r.method} ${new URL(r.url).pathname.replace('/prod', '')}`)).toEqual([
        'POST /auth/passkeys/login/options', 'POST /auth/email/change', 'POST /auth/password/change',
        'POST /auth/passkeys/login/options', 'POST /auth/mfa/recovery-codes', 'DELETE /me',
      ]);
      const bodies = await Promise.all(sent.filter((r) => !r.url.endsWith('/options')).map((r) => r.clone().json()));
      expect(bodies).toEqual([
        { passkey: passkeyAssertion, newEmail: 'ada@new.example', code: '123456' },
        { currentPassword: rightPassword, newPassword: 'a new long password' },
        { passkey: passkeyAssertion, code: '123456' },
        {},
      ]);
    });
  });

  describe('account lifecycle', () => {
    async function signedIn(api = fakeApi()) {
      const client = newClient(api);
      await client.login({ email: 'ada@example.com', password: rightPassword });
      const ended = vi.fn();
      client.on('session-ended', ended);
      return { api, client, ended };
    }

    it('asks for a reset link with the email alone, without a token', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      const reply = await client.forgotPassword('ada@example.com');

      // Assess
      const request = api.requests.at(-1)!;
      expect(reply).toEqual({ message: 'Check your mail.' });
      expect(new URL(request.url).pathname).toBe('/prod/auth/password/forgot');
      expect(await request.json()).toEqual({ email: 'ada@example.com' });
      expect(request.headers.get('Authorization')).toBeNull();
    });

    it('resets the password from the link without signing in', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      await client.resetPassword('reset-token', 'a new long password');

      // Assess
      expect(await api.requests.at(-1)!.json()).toEqual({ token: 'reset-token', password: 'a new long password' });
      expect(client.isSignedIn()).toBe(false);
    });

    it('reports a used reset link as invalid_token', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      const error = await client.resetPassword('used-token', 'a new long password').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 400, code: 'invalid_token' });
    });

    it('changes the password with the Bearer token and stays signed in', async () => {
      // Prepare
      const { api, client, ended } = await signedIn();

      // Act
      await client.changePassword(rightPassword, 'a new long password');

      // Assess
      const request = api.requests.at(-1)!;
      expect(new URL(request.url).pathname).toBe('/prod/auth/password/change');
      expect(request.headers.get('Authorization')).toBe('Bearer access-1');
      expect(await request.json()).toEqual({ currentPassword: rightPassword, newPassword: 'a new long password' });
      expect(client.isSignedIn()).toBe(true);
      expect(ended).not.toHaveBeenCalled();
    });

    it.each([
      ['changePassword', (c: AuthClient) => c.changePassword('wrong password', 'a new long password')],
      ['changeEmail', (c: AuthClient) => c.changeEmail('wrong password', 'ada@new.example')],
      ['deleteAccount', (c: AuthClient) => c.deleteAccount('wrong password')],
    ])('%s with a wrong current password is a 403 that never ends the session', async (_name, act) => {
      // Prepare
      const { api, client, ended } = await signedIn();

      // Act
      const error = await act(client).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ status: 403, code: 'reauthentication_failed' });
      expect(client.isSignedIn()).toBe(true);
      expect(ended).not.toHaveBeenCalled();
      expect(api.calls('/auth/refresh')).toBe(0);
      expect((await client.fetch('/me')).status).toBe(200);
    });

    it('reports a locked re-check as too_many_attempts with the Retry-After seconds, still signed in', async () => {
      // Prepare
      const { api, client } = await signedIn();
      api.locked = true;

      // Act
      const error = await client.changePassword(rightPassword, 'a new long password').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 429, code: 'too_many_attempts', retryAfterSeconds: 42 });
      expect(client.isSignedIn()).toBe(true);
    });

    it('a 401 on a protected call refreshes once and retries with the fresh token', async () => {
      // Prepare
      const { api, client } = await signedIn();
      api.validToken = 'rotated-by-the-server';

      // Act
      await client.changePassword(rightPassword, 'a new long password');

      // Assess
      expect(api.calls('/auth/refresh')).toBe(1);
      const retry = api.requests.at(-1)!;
      expect(retry.headers.get('Authorization')).toBe('Bearer access-2');
      expect(await retry.json()).toEqual({ currentPassword: rightPassword, newPassword: 'a new long password' });
    });

    it('asks for an email change and stays signed in', async () => {
      // Prepare
      const { api, client } = await signedIn();

      // Act
      const reply = await client.changeEmail(rightPassword, 'ada@new.example');

      // Assess
      const request = api.requests.at(-1)!;
      expect(reply).toEqual({ message: 'Check the new mailbox.' });
      expect(new URL(request.url).pathname).toBe('/prod/auth/email/change');
      expect(await request.json()).toEqual({ password: rightPassword, newEmail: 'ada@new.example' });
      expect(client.isSignedIn()).toBe(true);
    });

    it('confirms an email change from the link and returns the updated user', async () => {
      // Prepare
      const api = fakeApi();
      const client = newClient(api);

      // Act
      const updated = await client.confirmEmail('confirm-token');

      // Assess
      expect(updated.email).toBe('ada@new.example');
      expect(await api.requests.at(-1)!.json()).toEqual({ token: 'confirm-token' });
    });

    it('deletes the account with DELETE /me and the password, then ends the session', async () => {
      // Prepare
      const { api, client, ended } = await signedIn();

      // Act
      await client.deleteAccount(rightPassword);

      // Assess
      const request = api.requests.at(-1)!;
      expect(request.method).toBe('DELETE');
      expect(new URL(request.url).pathname).toBe('/prod/me');
      expect(await request.json()).toEqual({ password: rightPassword });
      expect(client.isSignedIn()).toBe(false);
      expect(ended).toHaveBeenCalledExactlyOnceWith({ reason: 'account-deleted' });
    });

    it('lists the sessions with the Bearer token', async () => {
      // Prepare
      const { api, client } = await signedIn();

      // Act
      const listed = await client.listSessions();

      // Assess
      expect(listed).toEqual(sessions);
      expect(api.requests.at(-1)!.headers.get('Authorization')).toBe('Bearer access-1');
    });

    it('revoking another session keeps this one', async () => {
      // Prepare
      const { api, client, ended } = await signedIn();
      await client.listSessions();

      // Act
      await client.revokeSession('s-phone');

      // Assess
      const request = api.requests.at(-1)!;
      expect(request.method).toBe('DELETE');
      expect(new URL(request.url).pathname).toBe('/prod/auth/sessions/s-phone');
      expect(client.isSignedIn()).toBe(true);
      expect(ended).not.toHaveBeenCalled();
    });

    it('revoking the current session signs this client out like a logout', async () => {
      // Prepare
      const storage = memoryStorage();
      const api = fakeApi();
      const client = newClient(api, { storage });
      await client.login({ email: 'ada@example.com', password: rightPassword });
      const ended = vi.fn();
      client.on('session-ended', ended);
      await client.listSessions();

      // Act
      await client.revokeSession('s-this');

      // Assess
      expect(client.isSignedIn()).toBe(false);
      expect(ended).toHaveBeenCalledExactlyOnceWith({ reason: 'logout' });
      // The next page load does not try a refresh that is bound to fail.
      expect(await newClient(api, { storage }).restore()).toBe(false);
    });

    it('reports an unknown session as not_found and keeps the session', async () => {
      // Prepare
      const { client, ended } = await signedIn();

      // Act
      const error = await client.revokeSession('someone-elses').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 404, code: 'not_found' });
      expect(client.isSignedIn()).toBe(true);
      expect(ended).not.toHaveBeenCalled();
    });
  });

  describe('across tabs', () => {
    function twoTabs(api: ReturnType<typeof fakeApi>, storage = memoryStorage()) {
      const locks = fakeLocks();
      const channel = fakeChannels();
      return [newClient(api, { locks, broadcast: channel(), storage }), newClient(api, { locks, broadcast: channel(), storage })] as const;
    }

    it('two tabs restoring at once refresh once and share the token', async () => {
      // Prepare
      const api = fakeApi();
      const storage = memoryStorage();
      await newClient(api, { storage }).login({ email: 'ada@example.com', password: 'correct horse' });
      const [first, second] = twoTabs(api, storage);

      // Act
      const signedIn = await Promise.all([first.restore(), second.restore()]);

      // Assess
      expect(signedIn).toEqual([true, true]);
      expect(api.calls('/auth/refresh')).toBe(1);
      expect((await first.fetch('/me')).status).toBe(200);
      expect((await second.fetch('/me')).status).toBe(200);
    });

    it('a tab signing in or out is seen by the other tab', async () => {
      // Prepare
      const api = fakeApi();
      const [first, second] = twoTabs(api);
      const events: string[] = [];
      second.on('session-started', ({ reason }) => events.push(`started:${reason}`));
      second.on('session-ended', ({ reason }) => events.push(`ended:${reason}`));

      // Act
      await first.login({ email: 'ada@example.com', password: 'correct horse' });
      const meInSecondTab = await second.me();
      await first.logout();

      // Assess
      expect(meInSecondTab.email).toBe('ada@example.com');
      expect(events).toEqual(['started:other-tab', 'ended:other-tab']);
      expect(second.isSignedIn()).toBe(false);
      expect(api.calls('/auth/refresh')).toBe(0);
    });
  });
});

describe('web client: tokens for the app\'s other APIs', () => {
  const ordersApi = 'https://orders.example.test/v1';

  /** The fake service plus the app's orders API, which accepts the service's current token and answers CORS with `*`. */
  function withOrdersApi(api: ReturnType<typeof fakeApi>) {
    const fetch = (async (input: RequestInfo | URL) => {
      const request = input as Request;
      if (new URL(request.url).host !== 'api.example.test') {
        api.requests.push(request);
        const authorized = request.headers.get('Authorization') === `Bearer ${api.validToken}`;
        return authorized ? json(200, { orders: [] }) : problem(401, 'unauthorized');
      }
      return api.fetch(request);
    }) as typeof globalThis.fetch;
    return fetch;
  }

  it('adds the Bearer token to URLs under an apiOrigins prefix, without the service\'s cookies', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api, { fetch: withOrdersApi(api), apiOrigins: [ordersApi] });
    await client.login({ email: 'ada@example.com', password: rightPassword });

    // Act
    const response = await client.fetch(`${ordersApi}/orders?page=2`);

    // Assess
    expect(response.status).toBe(200);
    const sent = api.requests.at(-1)!;
    expect(sent.headers.get('Authorization')).toBe('Bearer access-1');
    expect(sent.credentials).toBe('same-origin');
  });

  it('keeps the credentials mode the caller chose for a URL that is not the service\'s', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api, { fetch: withOrdersApi(api), apiOrigins: [ordersApi] });
    await client.login({ email: 'ada@example.com', password: rightPassword });

    // Act
    await client.fetch(`${ordersApi}/orders`, { credentials: 'omit' });
    await client.fetch('/me');

    // Assess
    const [orders, me] = api.requests.slice(-2);
    expect(orders!.credentials).toBe('omit');
    expect(me!.credentials).toBe('include');
  });

  it('sends no token to look-alike hosts, other ports or schemes, or paths beside the prefix', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api, { fetch: withOrdersApi(api), apiOrigins: [ordersApi] });
    await client.login({ email: 'ada@example.com', password: rightPassword });
    const lookAlikes = [
      'https://orders.example.test.evil.test/v1/orders',
      'https://orders.example.test:8443/v1/orders',
      'http://orders.example.test/v1/orders',
      'https://orders.example.test/v10/orders',
      'https://orders.example.test/v2/orders',
      'https://evil.test/?next=https://orders.example.test/v1/orders',
    ];

    // Act
    for (const url of lookAlikes) await client.fetch(url);

    // Assess
    const sent = api.requests.slice(-lookAlikes.length);
    expect(sent.map((r) => r.headers.get('Authorization'))).toEqual(lookAlikes.map(() => null));
    expect(sent.every((r) => r.credentials === 'same-origin')).toBe(true);
  });

  it('refreshes once and retries when an apiOrigins API answers 401', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api, { fetch: withOrdersApi(api), apiOrigins: ['https://orders.example.test'] });
    await client.login({ email: 'ada@example.com', password: rightPassword });
    api.issue(); // the server moved on: the client's token is no longer accepted

    // Act
    const response = await client.fetch('https://orders.example.test/v1/orders');

    // Assess
    expect(response.status).toBe(200);
    expect(api.calls('/auth/refresh')).toBe(1);
    expect(api.requests.at(-1)!.headers.get('Authorization')).toBe('Bearer access-3');
  });

  it('refuses apiOrigins entries that are not http(s) URL prefixes', () => {
    // Prepare
    const api = fakeApi();

    // Act
    const attempts = ['orders.example.test', 'ftp://orders.example.test', 'https://orders.example.test/v1?x=1', 'https://user:pw@orders.example.test'].map((prefix) => () =>
      newClient(api, { apiOrigins: [prefix] }),
    );

    // Assess
    for (const attempt of attempts) expect(attempt).toThrow(TypeError);
  });
});

describe('web client: getAccessToken and the state snapshot', () => {
  it('hands out the token in memory while it is fresh, without a network call', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: rightPassword });
    const requestsBefore = api.requests.length;

    // Act
    const token = await client.getAccessToken();

    // Assess
    expect(token).toBe('access-1');
    expect(api.requests.length).toBe(requestsBefore);
  });

  it('refreshes an expired token once for many concurrent callers', async () => {
    // Prepare
    vi.useFakeTimers();
    const api = fakeApi();
    const client = newClient(api, { broadcast: null });
    await client.login({ email: 'ada@example.com', password: rightPassword });
    api.refreshReply = () => problem(503, 'service_unavailable'); // the background refresh fails
    await vi.advanceTimersByTimeAsync(901_000);
    api.refreshReply = null;
    const refreshesBefore = api.calls('/auth/refresh');

    // Act
    const tokens = await Promise.all([client.getAccessToken(), client.getAccessToken(), client.getAccessToken()]);

    // Assess
    expect(new Set(tokens)).toEqual(new Set([api.validToken]));
    expect(api.calls('/auth/refresh')).toBe(refreshesBefore + 1);
  });

  it('answers null when there is no session', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api, { storage: memoryStorage() });

    // Act
    const token = await client.getAccessToken();

    // Assess
    expect(token).toBeNull();
    expect(api.requests).toHaveLength(0);
  });

  it('tells subscribers about sign-in and sign-out, and reads the user from memory', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api, { storage: memoryStorage() });
    const seen: Array<{ status: string; email?: string }> = [];
    client.subscribe((state) => seen.push({ status: state.status, email: state.user?.email }));
    const initial = client.getState();

    // Act
    await client.login({ email: 'ada@example.com', password: rightPassword });
    const requestsAfterLogin = api.requests.length;
    const signedIn = client.getState();
    await client.logout();

    // Assess
    expect(initial).toEqual({ status: 'signed-out', user: null });
    expect(signedIn).toEqual({ status: 'signed-in', user });
    expect(api.requests.length).toBe(requestsAfterLogin + 1); // the logout only
    expect(seen).toEqual([{ status: 'signed-in', email: 'ada@example.com' }, { status: 'signed-out', email: undefined }]);
  });

  it('is loading until the page-load restore settles, then signed in with the user me() reads', async () => {
    // Prepare
    const api = fakeApi();
    const storage = memoryStorage();
    await newClient(api, { storage }).login({ email: 'ada@example.com', password: rightPassword });
    const reloaded = newClient(api, { storage });
    const loading = reloaded.getState();

    // Act
    await reloaded.restore();
    const restored = reloaded.getState();
    await reloaded.me();

    // Assess
    expect(loading.status).toBe('loading');
    expect(restored).toEqual({ status: 'signed-in', user: null });
    expect(reloaded.getState()).toEqual({ status: 'signed-in', user });
  });

  it('keeps the same snapshot object while nothing changes, and stops calling an unsubscribed listener', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    const listener = vi.fn();
    const unsubscribe = client.subscribe(listener);
    await client.login({ email: 'ada@example.com', password: rightPassword });
    const snapshot = client.getState();
    unsubscribe();

    // Act
    await client.refresh();
    await client.logout();

    // Assess
    expect(listener).toHaveBeenCalledTimes(1);
    expect(client.getState()).not.toBe(snapshot);
    expect(client.getState().status).toBe('signed-out');
  });

  it('shows two-factor turned on in the snapshot\'s user after confirmTotp', async () => {
    // Prepare
    const api = fakeApi();
    const client = newClient(api);
    await client.login({ email: 'ada@example.com', password: rightPassword });

    // Act
    await client.confirmTotp('123456');

    // Assess
    expect(client.getState().user?.mfaEnabled).toBe(true);
  });
});
