import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import Provider, { interactionPolicy, type Configuration } from 'oidc-provider';
import type { ChildServerMessage } from './child-server';
import { refuseForeignHost } from './host-guard';
import { listenOnLoopback, listenWith } from './loopback';

/**
 * The local OpenID provider's own process (started by identity-provider.ts): node-oidc-provider
 * (a certified OpenID Provider) with a sign-in page of ours where any address can be typed, so
 * tests and a person at `npm start` can play every user a real provider could send, including
 * one whose address is not verified. Like the other local servers it listens on loopback and
 * answers only the loopback host names (host-guard.ts).
 *
 * Protocol with the parent (IPC): the parent sends one `{ type: 'configure', clients }`; the
 * child answers `{ type: 'ready', port, issuer }` or `{ type: 'failed', message }`. It exits on
 * SIGTERM and when the parent goes away.
 */
export interface IdentityProviderClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export type IdentityProviderCommand = { type: 'configure'; clients: IdentityProviderClient[] };
export type IdentityProviderMessage = ChildServerMessage<{ port: number; issuer: string }>;

/** What the sign-in page chose for a subject: the claims of its next ID token. */
interface ChosenClaims {
  email: string;
  email_verified: boolean;
}

const MAX_BODY_BYTES = 8 * 1024;
const MAX_ADDRESS_LENGTH = 320;

/**
 * The subject of an address: stable across sign-ins and restarts (so "the same identity signs in
 * again" holds), the same whatever the case of the address, and opaque like a real provider's.
 */
export function subjectOf(address: string): string {
  return createHash('sha256').update(`local-identity:${address.trim().toLowerCase()}`).digest('base64url').slice(0, 24);
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function signInPage(uid: string, clientId: string, error?: string, address = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local identity provider: sign in</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 26rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a1a; }
  label { display: block; margin: 1rem 0 0.25rem; }
  input[type=text] { width: 100%; padding: 0.5rem; font-size: 1rem; box-sizing: border-box; }
  .check { display: flex; gap: 0.5rem; align-items: center; }
  .check label { margin: 0; }
  .actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
  button { padding: 0.5rem 1rem; font-size: 1rem; }
  .error { color: #a00; }
  .note { color: #555; font-size: 0.9rem; }
</style>
</head>
<body>
<main>
<h1>Local identity provider</h1>
<p class="note">A test provider of the local stack. Signing in to <strong>${escapeHtml(clientId)}</strong>: type any address; nobody checks it.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <label for="email">Email address</label>
  <input id="email" name="email" type="text" inputmode="email" autocomplete="email" required autofocus maxlength="${MAX_ADDRESS_LENGTH}" value="${escapeHtml(address)}" data-testid="idp-email">
  <p class="check"><input id="email_verified" name="email_verified" type="checkbox" value="true" checked data-testid="idp-email-verified"><label for="email_verified">address verified</label></p>
  <div class="actions">
    <button type="submit" data-testid="idp-submit">Sign in</button>
    <button type="submit" formaction="/interaction/${escapeHtml(uid)}/cancel" formnovalidate data-testid="idp-cancel">Cancel</button>
  </div>
</form>
</main>
</body>
</html>`;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('form too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function sendPage(res: ServerResponse, status: number, html: string): void {
  res
    .writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // The page has no script; it may not be framed (clickjacking the "Sign in" button).
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    })
    .end(html);
}

/**
 * The provider's endpoints (node-oidc-provider) behind our own pages (/interaction/...), for
 * requests to a loopback host name only.
 */
export function identityProviderListener(issuer: string, clients: IdentityProviderClient[]): (req: IncomingMessage, res: ServerResponse) => void {
  // The subject's latest choice on the page (verified or not) is what its next ID token says.
  const chosen = new Map<string, ChosenClaims>();

  // The sign-in page every time, even with a session at the provider: each sign-in is a fresh
  // choice of address, as a test (or a person trying accounts) expects.
  const policy = interactionPolicy.base();
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check('every_time', 'the local provider asks at every authorization', (ctx) =>
        ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );

  // A fresh signing key and cookie key at every start, like the rest of the local stack.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    clients: clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      // The OpenID default (HTTP Basic), which Google and Entra ID take too.
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The address in the ID token itself, as Google puts it there: not only at the userinfo endpoint.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const claims = chosen.get(sub);
      if (!claims) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...claims, name: claims.email }) };
    },
  };
  const provider = new Provider(issuer, configuration);
  const providerCallback = provider.callback();

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined) => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return sendPage(res, 400, '<p>This sign-in belongs to another browser tab or has expired.</p>');
    const clientId = String(details.params.client_id);

    if (req.method === 'GET' && action === undefined) {
      if (details.prompt.name === 'login') return sendPage(res, 200, signInPage(uid, clientId));
      // Consent is implicit: whatever the client asked for is granted.
      if (!details.session?.accountId) return sendPage(res, 400, '<p>No sign-in to continue.</p>');
      const grantId = await grantEverythingAsked(details.session.accountId, clientId, details.params);
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (req.method === 'POST' && action === 'cancel') {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    }
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      const address = (form.get('email') ?? '').trim();
      if (address === '' || address.length > MAX_ADDRESS_LENGTH) {
        return sendPage(res, 400, signInPage(uid, clientId, `Type an address (at most ${MAX_ADDRESS_LENGTH} characters).`, address.slice(0, MAX_ADDRESS_LENGTH)));
      }
      const sub = subjectOf(address);
      await forgetEarlierSignIn(details);
      chosen.set(sub, { email: address, email_verified: form.get('email_verified') === 'true' });
      const grantId = await grantEverythingAsked(sub, clientId, details.params);
      return provider.interactionFinished(req, res, { login: { accountId: sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
    }
    res.writeHead(405, { Allow: 'GET, POST' }).end();
  };

  /**
   * The browser's earlier sign-in at the provider is forgotten: each sign-in stands alone, and
   * another address than last time needs no logout page in between (which node-oidc-provider
   * would otherwise show before switching accounts).
   */
  const forgetEarlierSignIn = async (details: Awaited<ReturnType<Provider['interactionDetails']>>) => {
    if (!details.session) return;
    if (details.session.cookie) await (await provider.Session.find(details.session.cookie))?.destroy();
    details.session = undefined;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
  };

  const grantEverythingAsked = async (accountId: string, clientId: string, params: Record<string, unknown>) => {
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(typeof params.scope === 'string' ? params.scope : 'openid');
    return grant.save();
  };

  return (req, res) => {
    if (refuseForeignHost(req, res)) return;
    const match = /^\/interaction\/([\w-]+)(?:\/(login|cancel))?$/.exec(new URL(req.url ?? '/', 'http://local').pathname);
    if (!match) return void providerCallback(req, res);
    interaction(req, res, match[1]!, match[2]).catch((error: unknown) => {
      // An expired or foreign interaction (no cookie): say so, without a stack trace.
      if (!res.headersSent) sendPage(res, 400, `<p>This sign-in cannot continue: ${escapeHtml(error instanceof Error ? error.message : 'unknown error')}. Start again from the app.</p>`);
      else res.end();
    });
  };
}

// Run as a child process (identity-provider.ts forks this module): configure, listen, report.
// Only as that process's entry: imported elsewhere (a test worker has an IPC channel too) it does nothing.
if (process.send && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = (message: IdentityProviderMessage) => process.send?.(message);
  const exit = () => process.exit(0);
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
  process.once('disconnect', exit);

  process.once('message', async (command: IdentityProviderCommand) => {
    try {
      let listener: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
        res.writeHead(503, { 'Retry-After': '1' }).end();
      };
      const listening = await listenOnLoopback(
        (host, port) => listenWith(createServer((req, res) => listener(req, res)))(host, port),
        Number(process.env.IDP_PORT ?? 0),
        'Identity provider (IDP_PORT)',
      );
      // 127.0.0.1, not localhost: a site of its own beside the API on localhost, as a real
      // provider is, so its cookies and the API's never mix and the callback arrives cross-site.
      const issuer = `http://127.0.0.1:${listening.port}`;
      listener = identityProviderListener(issuer, command.clients);
      report({ type: 'ready', port: listening.port, issuer });
    } catch (error) {
      report({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    }
  });
}
