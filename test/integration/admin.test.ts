import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { signedFetch } from '../../infra/admin-client';
import { assertDeclaredResponse } from './contract';
import {
  api, bearer, claimsOf, expectProblem, login, me, newVerifiedUser, PASSWORD, postJson, refresh, refreshCookieOf, signupLink, stack, uniqueEmail, verify,
} from './support';

const LOCAL_ADMIN = 'arn:aws:iam::000000000000:user/local-admin';

/** An /admin call signed with the stack's local key pair (or other credentials), its reply checked against the OpenAPI document. */
async function admin(method: string, path: string, options: { body?: unknown; query?: Record<string, string>; secret?: string } = {}): Promise<Response> {
  const credentials = { accessKeyId: stack.admin.accessKeyId, secretAccessKey: options.secret ?? stack.admin.secretAccessKey };
  const response = await signedFetch(stack.apiUrl, { method, path, query: options.query, body: options.body }, credentials, stack.admin.region);
  await assertDeclaredResponse(method, path, response.clone());
  return response;
}

async function eventsOf(userId: string): Promise<Array<Record<string, unknown>>> {
  const response = await admin('GET', `/admin/users/${userId}/events`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: Array<Record<string, unknown>> }).events;
}

describe('the admin API refuses requests not signed with the admin key pair', () => {
  it('answers an unsigned request 403 problem+json', async () => {
    const response = await api('/admin/users');

    await expectProblem(response, 403, 'forbidden');
  });

  it('answers a request signed with another secret 403', async () => {
    await expectProblem(await admin('GET', '/admin/users', { secret: 'not-the-local-secret' }), 403, 'forbidden');
  });

  it('answers an access token of this service 403: no user reaches /admin', async () => {
    const alice = await newVerifiedUser('bearer-admin');

    await expectProblem(await api('/admin/users', { headers: bearer(alice.accessToken) }), 403, 'forbidden');
  });
});

describe('the admin API, signed with the local key pair', () => {
  it('lists users by email prefix a page at a time', async () => {
    const prefix = `list-${Date.now()}`;
    await newVerifiedUser(`${prefix}-a`);
    await newVerifiedUser(`${prefix}-b`);

    const first = await admin('GET', '/admin/users', { query: { emailPrefix: prefix, limit: '1' } });
    const page1 = (await first.json()) as { users: Array<{ email: string; roles: string[]; disabled: boolean }>; nextCursor?: string };
    const second = await admin('GET', '/admin/users', { query: { emailPrefix: prefix, limit: '1', cursor: page1.nextCursor! } });
    const page2 = (await second.json()) as { users: Array<{ email: string }> };

    expect(page1.users).toHaveLength(1);
    expect(page1.users[0]).toMatchObject({ roles: [], disabled: false });
    expect(page1.users[0]!.email.startsWith(prefix)).toBe(true);
    expect(page2.users.map((u) => u.email)).not.toContain(page1.users[0]!.email);
    expect(JSON.stringify([page1, page2])).not.toMatch(/passwordHash|argon2|totp/);
  });

  it('gets a user with its roles, state, methods and sessions, and nothing secret', async () => {
    const alice = await newVerifiedUser('get');

    const response = await admin('GET', `/admin/users/${alice.userId}`);

    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ user: { id: alice.userId, email: alice.email }, roles: [], disabled: false, methods: ['password'] });
    expect(body.sessions).toHaveLength(1);
    expect(JSON.stringify(body)).not.toMatch(/passwordHash|argon2|rt1\./);
  });

  it('sets roles that reach the access token at the next refresh, with an event naming the admin', async () => {
    const alice = await newVerifiedUser('roles');

    const set = await admin('PUT', `/admin/users/${alice.userId}/roles`, { body: { roles: ['support', 'billing:read'] } });
    const refreshed = await refresh(alice.refreshToken);

    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ roles: ['support', 'billing:read'] });
    expect(claimsOf(((await refreshed.json()) as { accessToken: string }).accessToken).roles).toEqual(['support', 'billing:read']);
    expect((await eventsOf(alice.userId))[0]).toMatchObject({ type: 'roles_changed', actor: LOCAL_ADMIN, roles: ['support', 'billing:read'] });
  });

  it('refuses role names that are not role names with 400', async () => {
    const alice = await newVerifiedUser('bad-roles');

    await expectProblem(await admin('PUT', `/admin/users/${alice.userId}/roles`, { body: { roles: ['Root Admin'] } }), 400, 'validation_failed');
  });

  it('disables an account: its sessions end at once, refresh and sign-in fail (403 only with the right password); enabling lets it in again', async () => {
    const alice = await newVerifiedUser('disable');

    const disabled = await admin('POST', `/admin/users/${alice.userId}/disable`);

    expect(disabled.status).toBe(204);
    await expectProblem(await me(alice.accessToken), 401, 'unauthorized');
    await expectProblem(await refresh(alice.refreshToken), 401, 'invalid_refresh_token');
    await expectProblem(await postJson('/auth/login', { email: alice.email, password: 'wrong password here' }), 401, 'invalid_credentials');
    await expectProblem(await postJson('/auth/login', { email: alice.email, password: PASSWORD }), 403, 'account_disabled');
    expect((await eventsOf(alice.userId))[0]).toMatchObject({ type: 'account_disabled', actor: LOCAL_ADMIN });

    expect((await admin('POST', `/admin/users/${alice.userId}/enable`)).status).toBe(204);
    const again = await login(alice.email);
    expect((await me(again.accessToken)).status).toBe(200);
    expect((await eventsOf(alice.userId)).map((e) => e.type).slice(0, 2)).toEqual(['signed_in', 'account_enabled']);
  });

  it('revokes every session of a user, recording who did', async () => {
    const alice = await newVerifiedUser('revoke');

    expect((await admin('DELETE', `/admin/users/${alice.userId}/sessions`)).status).toBe(204);

    await expectProblem(await refresh(alice.refreshToken), 401, 'invalid_refresh_token');
    expect((await eventsOf(alice.userId))[0]).toMatchObject({ type: 'signed_out_everywhere', actor: LOCAL_ADMIN });
  });

  it('invites with preset roles: the account the link creates holds them in its first token', async () => {
    const email = uniqueEmail('invited');

    const invited = await admin('POST', '/admin/users', { body: { email, roles: ['editor'] } });
    const created = await verify(await signupLink(email));

    expect(invited.status).toBe(202);
    expect(created.status).toBe(200);
    const body = (await created.json()) as { accessToken: string };
    expect(claimsOf(body.accessToken).roles).toEqual(['editor']);
    expect(refreshCookieOf(created)).toBeDefined();
  });

  it('deletes an account: gone for the admin and for sign-in', async () => {
    const alice = await newVerifiedUser('delete');

    expect((await admin('DELETE', `/admin/users/${alice.userId}`)).status).toBe(204);

    await expectProblem(await admin('GET', `/admin/users/${alice.userId}`), 404, 'not_found');
    await expectProblem(await postJson('/auth/login', { email: alice.email, password: PASSWORD }), 401, 'invalid_credentials');
  });

  it('answers 404 for a user that does not exist', async () => {
    await expectProblem(await admin('POST', '/admin/users/00000000-0000-0000-0000-000000000000/disable'), 404, 'not_found');
  });
});

describe('GET /me/security-events', () => {
  it('shows the owner its sign-ins and password change, newest first', async () => {
    const alice = await newVerifiedUser('events');
    const again = await login(alice.email);
    const changed = await postJson('/auth/password/change', { currentPassword: PASSWORD, newPassword: 'another horse battery staple' }, bearer(again.accessToken));
    expect(changed.status).toBe(204);

    const response = await api('/me/security-events', { headers: bearer(again.accessToken) });

    expect(response.status).toBe(200);
    const { events } = (await response.json()) as { events: Array<Record<string, unknown>> };
    expect(events.map((e) => e.type)).toEqual(['password_changed', 'signed_in']);
    expect(events[1]).toMatchObject({ method: 'password', newDevice: true, userAgent: expect.any(String) });
  });
});

describe('npm run admin', () => {
  /** The CLI as a user runs it, credentials from the environment (the default chain's first link). */
  async function cli(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'infra/admin-cli.ts', '--api', stack.apiUrl, ...args], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: stack.admin.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.admin.secretAccessKey, AWS_REGION: stack.admin.region, AWS_PROFILE: '' },
    });
    return stdout;
  }

  it('signs with the default credential chain: sets roles and reads the user back as JSON and as a table', async () => {
    const alice = await newVerifiedUser('cli');

    await cli('users', 'roles', alice.userId, 'support,ops');
    const json = JSON.parse(await cli('--json', 'users', 'get', alice.userId)) as { roles: string[] };
    const text = await cli('users', 'events', alice.userId);

    expect(json.roles).toEqual(['support', 'ops']);
    expect(text).toMatch(/^id\s+type\s+at/m);
    expect(text).toContain('roles_changed');
    expect(text).toContain(LOCAL_ADMIN);
  });
});

describe('lifecycle events on the local stack', () => {
  /** The lifecycle events of one user in the JSON lines file, once `done` says they have all arrived (or the deadline passed). */
  async function lifecycleOf(userId: string, done: (types: string[]) => boolean): Promise<Array<{ id: string; type: string }>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const text = await readFile(stack.lifecycleEventsFile, 'utf8').catch(() => '');
      const events = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: string; type: string; userId: string }).filter((e) => e.userId === userId);
      if (done(events.map((e) => e.type)) || Date.now() > deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('appends user.created, roles.changed, account.disabled, account.enabled and user.deleted once each, in order', async () => {
    const alice = await newVerifiedUser('lifecycle');
    await admin('PUT', `/admin/users/${alice.userId}/roles`, { body: { roles: ['ops'] } });
    await admin('POST', `/admin/users/${alice.userId}/disable`);
    await admin('POST', `/admin/users/${alice.userId}/enable`);
    await admin('DELETE', `/admin/users/${alice.userId}`);

    const events = await lifecycleOf(alice.userId, (types) => types.includes('user.deleted'));

    expect(events.map((e) => e.type)).toEqual(['user.created', 'roles.changed', 'account.disabled', 'account.enabled', 'user.deleted']);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});

