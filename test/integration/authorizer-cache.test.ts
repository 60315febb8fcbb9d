import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { integrationSettings } from './global-setup';
import { claimsOf, PASSWORD, signUpOn, uniqueEmail } from './support';

/**
 * Issue #19, item 6: with the authorizer's result cache on (30 s, the AWS default; the shared
 * stack runs without it), a token whose session was revoked still passes the authorizer for up to
 * the cache's lifetime. The session-management and logout routes re-check the caller's own
 * session, so such a token can no longer list, revoke or log out anything. A stack of its own,
 * with the cache as on AWS.
 */
let own: LocalStack;

beforeAll(async () => {
  own = await startLocalStack({ quiet: true, env: { ...integrationSettings, AUTHORIZER_CACHE_TTL_SECONDS: '30', SESSION_CHECK_CACHE_SECONDS: '5' } });
}, 120_000);

afterAll(() => own?.stop());

const call = (path: string, accessToken: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${own.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${accessToken}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });

async function signIn(email: string): Promise<{ accessToken: string; sessionId: string }> {
  const reply = await fetch(`${own.apiUrl}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(reply.status).toBe(200);
  const { accessToken } = (await reply.json()) as { accessToken: string };
  return { accessToken, sessionId: String(claimsOf(accessToken).sid) };
}

describe('6. a revoked session inside the authorizer cache window', () => {
  it("cannot list the owner's sessions, revoke the owner's new session, or log out everywhere", async () => {
    // Prepare: the attacker holds a token whose authorization is cached; the owner logs out everywhere and signs in again.
    const email = uniqueEmail('cache-window');
    const first = await signUpOn(own, email);
    const owner = (await first.json()) as { accessToken: string };
    const attacker = await signIn(email);
    expect((await call('/me', attacker.accessToken)).status).toBe(200);
    expect((await call('/auth/logout', owner.accessToken, { method: 'POST', body: { scope: 'all' } })).status).toBe(204);
    const fresh = await signIn(email);
    // The window is real: the authorizer's cached answer still lets the revoked token through to a route that does not re-check.
    expect((await call('/me', attacker.accessToken)).status).toBe(200);

    // Act
    const listed = await call('/auth/sessions', attacker.accessToken);
    const revoked = await call(`/auth/sessions/${fresh.sessionId}`, attacker.accessToken, { method: 'DELETE' });
    const loggedOut = await call('/auth/logout', attacker.accessToken, { method: 'POST', body: { scope: 'all' } });

    // Assess
    for (const answer of [listed, revoked, loggedOut]) {
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ code: 'unauthorized' });
    }
    const stillThere = (await (await call('/auth/sessions', fresh.accessToken)).json()) as { sessions: Array<{ id: string }> };
    expect(stillThere.sessions.map((session) => session.id)).toEqual([fresh.sessionId]);
  });
});
