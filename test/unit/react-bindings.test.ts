import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AuthProvider, useAuth } from '../../packages/client/react';
import { createAuthClient } from '../../web/client';

const user = { id: 'u1', email: 'ada@example.com', createdAt: '2026-01-01T00:00:00.000Z', mfaEnabled: false };

/** A client whose API signs anyone in. */
function signingInClient() {
  const reply = () => new Response(JSON.stringify({ user, accessToken: 'access-1', tokenType: 'Bearer', expiresIn: 900 }), { headers: { 'Content-Type': 'application/json' } });
  return createAuthClient({ baseUrl: 'https://api.example.test', fetch: async () => reply(), locks: null, broadcast: null, storage: null });
}

function Status() {
  const { status, user: current } = useAuth();
  return createElement('p', null, `${status}:${current?.email ?? 'nobody'}`);
}

describe('React bindings', () => {
  it('render the provider\'s client state: signed in, with the user a sign-in named', async () => {
    // Prepare
    const client = signingInClient();
    await client.login({ email: 'ada@example.com', password: 'correct horse' });

    // Act
    const html = renderToStaticMarkup(createElement(AuthProvider, { client }, createElement(Status)));

    // Assess
    expect(html).toBe('<p>signed-in:ada@example.com</p>');
    client.close();
  });

  it('hand out the client\'s own methods, getAccessToken included', async () => {
    // Prepare
    const client = signingInClient();
    await client.login({ email: 'ada@example.com', password: 'correct horse' });
    let seen: ReturnType<typeof useAuth> | undefined;
    const Capture = () => {
      seen = useAuth();
      return null;
    };

    // Act
    renderToStaticMarkup(createElement(AuthProvider, { client }, createElement(Capture)));

    // Assess
    expect(seen?.client).toBe(client);
    expect(await seen?.getAccessToken()).toBe('access-1');
    client.close();
  });

  it('refuse to work outside an AuthProvider', () => {
    // Act
    const render = () => renderToStaticMarkup(createElement(Status));

    // Assess
    expect(render).toThrow(/AuthProvider/);
  });
});
