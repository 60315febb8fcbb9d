import { createServer, type Server } from 'node:http';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalStack, type ChildLocalStack } from '../../infra/local/stack';
import { launchChromium } from '../e2e/browser';
import { installedVersion, mailedMatch, scratchProject, type ScratchProject } from './scratch';

/**
 * examples/react-app copied into a folder of its own with the client tarball, built by Vite, served
 * on one origin and driven in Chromium against the local stack on another, with the team's orders
 * API on a third that answers CORS with `*` and checks the service's tokens against its JWKS.
 */
const EXAMPLE = path.join(import.meta.dirname, '..', '..', 'examples', 'react-app');
const PASSWORD = 'correct horse battery staple';

/** Listens on a free loopback port; the URL uses localhost, as the browser does. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://localhost:${address.port}`;
}

/** The built app: its files, and index.html for every other path (the app routes /verify itself). */
function staticServer(root: () => string): Server {
  return createServer((req, res) => {
    const file = path.join(root(), path.normalize(new URL(req.url ?? '/', 'http://x').pathname));
    const found = file.startsWith(root()) && existsSync(file) && !file.endsWith(path.sep) && path.extname(file) !== '';
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8';
    res.writeHead(200, { 'Content-Type': found ? type : 'text/html; charset=utf-8' }).end(readFileSync(found ? file : path.join(root(), 'index.html')));
  });
}

interface OrdersCall {
  userId?: string;
  cookie?: string;
}

/** The team's API: accepts any origin (`*`, so no credentials) and a token the service signed. */
function ordersApi(jwksUrl: () => string, calls: OrdersCall[]): Server {
  const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Authorization', 'Access-Control-Allow-Methods': 'GET' };
  return createServer(async (req, res) => {
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    try {
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl())));
      calls.push({ userId: payload.sub, cookie: req.headers.cookie });
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify({ userId: payload.sub, orders: [{ id: 'o-1', total: 42 }] }));
    } catch {
      calls.push({ cookie: req.headers.cookie });
      res.writeHead(401, cors).end();
    }
  });
}

describe('the React example with the client package', () => {
  let project: ScratchProject;
  let stack: ChildLocalStack;
  let browser: Browser;
  let appUrl: string;
  let ordersUrl: string;
  const servers: Server[] = [];
  const ordersCalls: OrdersCall[] = [];

  beforeAll(async () => {
    const { client } = inject('tarballs');
    const manifest = JSON.parse(readFileSync(path.join(EXAMPLE, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    project = await scratchProject('react-app', [client, `react@${installedVersion('react')}`, `react-dom@${installedVersion('react-dom')}`, `vite@${manifest.devDependencies.vite}`]);
    for (const name of ['index.html', 'vite.config.js', 'src']) cpSync(path.join(EXAMPLE, name), path.join(project.dir, name), { recursive: true });

    const app = staticServer(() => path.join(project.dir, 'dist'));
    const orders = ordersApi(() => `${stack.apiUrl}/.well-known/jwks.json`, ordersCalls);
    servers.push(app, orders);
    [appUrl, ordersUrl] = await Promise.all([listen(app), listen(orders)]);
    stack = await startLocalStack({
      quiet: true,
      env: { APP_URL: appUrl, ALLOWED_ORIGINS: appUrl, ARGON2_MEMORY_KIB: '1024', ARGON2_PASSES: '1', AUTHORIZER_CACHE_TTL_SECONDS: '0', SESSION_CHECK_CACHE_SECONDS: '0' },
    });
    await project.exec('npx', ['vite', 'build', '--logLevel', 'error'], { env: { AUTH_API_URL: stack.apiUrl, ORDERS_API_URL: ordersUrl } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    for (const server of servers) server.close();
    project?.remove();
  });

  it('builds with Vite, the client and its React bindings sharing one copy of the client', () => {
    // Assess
    const assets = path.join(project.dir, 'dist', 'assets');
    const scripts = readdirSync(assets).filter((file) => file.endsWith('.js')).map((file) => readFileSync(path.join(assets, file), 'utf8'));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.join('').split('serverless-auth:refresh:').length - 1).toBe(1);
  });

  it('signs up through the mailed link, is signed in, and calls the team\'s API with getAccessToken()', async () => {
    // Prepare
    const email = `react-${Date.now()}@example.com`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl);

    // Act
    await page.getByTestId('signup-email').fill(email);
    await page.getByTestId('signup-submit').click();
    await expect.poll(() => page.getByTestId('signup-status').textContent()).toContain('Check your inbox');
    const [link] = await mailedMatch(stack.mailUrl, email, /https?:\/\/\S+\/verify\?token=[\w.~%-]+/);
    await page.goto(link);
    await page.getByTestId('verify-password').fill(PASSWORD);
    await page.getByTestId('verify-submit').click();
    await expect.poll(() => page.getByTestId('me').textContent(), { timeout: 15_000 }).toBe(email);
    await page.getByTestId('orders-load').click();
    await expect.poll(() => page.getByTestId('orders').textContent(), { timeout: 15_000 }).toContain('o-1');
    await page.reload();

    // Assess
    expect(new URL(link).origin).toBe(appUrl);
    expect(ordersCalls).toHaveLength(1);
    expect(ordersCalls[0]!.userId).toMatch(/\S/);
    expect(ordersCalls[0]!.cookie).toBeUndefined();
    // A reload restores the session from the refresh cookie and reads the user again.
    await expect.poll(() => page.getByTestId('me').textContent(), { timeout: 15_000 }).toBe(email);
    await context.close();
  });
});
