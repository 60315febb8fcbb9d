import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { startIdentityProvider, type RunningIdentityProvider } from '../infra/local/identity-provider';
import { CookieJar } from '../test/support/http';
import { throughLocalProvider } from '../test/support/local-provider';
import { context, loadBundleHandler, navigationEvent, type Handler } from './environment';
import { uniqueEmail } from './local-stack';
import { pairedItem, type BenchItem } from './results';
import { interleavedMedians, timed } from './stats';

/**
 * The way back from an identity provider (GET /auth/oauth/{provider}/callback) through the
 * oauth-callback bundle's handler in this process, against the bare token exchange: oauth4webapi
 * alone exchanging a code for tokens at the same provider and checking the ID token (signature
 * against the JWKS, issuer, audience, nonce, expiry), which any relying party must do. The
 * provider is the local OpenID provider (node-oidc-provider) in a child process of its own, as
 * the local stack starts it, with one client for both sides. What the handler adds is the flow's
 * conditional delete, the identity and account reads, and the session it writes. DESIGN: reported.
 *
 * Every call needs a fresh authorization code: a person signs in at the provider's page (the
 * local provider asks every time) before the clock runs; for the handler the flow is started by
 * the oauth-start bundle first, so its item and flow cookie are real.
 */
export interface ProviderCallbackSetup {
  startBundle: string;
  callbackBundle: string;
  /** functionEnvironment() pointed at the local stack; its JWT_ISSUER is the base of the callback URL. */
  env: Record<string, string>;
  rounds: number;
  perRound: number;
}

const PROVIDER_ID = 'bench';
const WARM_UP_CALLS = 10;
const FLOW_COOKIE = 'oauth_flow';

/** The callback URL (with code and state) the provider sends the person's browser back to, from a fresh browser. */
async function signedInAt(provider: RunningIdentityProvider, authorizationUrl: string, email: string, redirectUri: string): Promise<URL> {
  const { end } = await throughLocalProvider(new CookieJar(), provider.issuer, authorizationUrl, { email }, redirectUri);
  if (!(end instanceof URL)) throw new Error(`the local provider did not send the browser back (${end.status})`);
  return end;
}

export async function benchProviderCallback(setup: ProviderCallbackSetup): Promise<BenchItem[]> {
  const redirectUri = `${setup.env.JWT_ISSUER}/auth/oauth/${PROVIDER_ID}/callback`;
  const client = { clientId: 'serverless-auth-bench', clientSecret: randomBytes(32).toString('base64url'), redirectUris: [redirectUri] };
  const provider = await startIdentityProvider({ port: 0, clients: [client] });
  try {
    const identityProviders = JSON.stringify([{ id: PROVIDER_ID, preset: 'oidc', clientId: client.clientId, issuer: provider.issuer, trustEmail: true, clientSecret: client.clientSecret }]);
    const env = { ...setup.env, IDENTITY_PROVIDERS: identityProviders };
    const start = await loadBundleHandler(setup.startBundle, env, 'oauth-start');
    const callback = await loadBundleHandler(setup.callbackBundle, env, 'oauth-callback');
    // One person throughout: the first callback makes the account, every later one signs the same identity in again.
    const email = uniqueEmail('provider');

    const invoke = async (handler: Handler, name: string, event: unknown): Promise<APIGatewayProxyResult> => (await handler(event, context(name))) as APIGatewayProxyResult;
    const route = (step: 'start' | 'callback') => ({ resource: `/auth/oauth/{provider}/${step}`, pathParameters: { provider: PROVIDER_ID } });

    /** The handler: a flow started and the person signed in at the provider (not timed), then the callback timed. */
    const handlerCall = async (): Promise<number> => {
      const started = await invoke(start, 'oauth-start', navigationEvent(`/auth/oauth/${PROVIDER_ID}/start`, route('start')));
      const location = started.headers?.Location;
      const flowCookie = new RegExp(`${FLOW_COOKIE}=([^;"]+)`).exec(JSON.stringify(started.multiValueHeaders ?? started.headers ?? {}))?.[1];
      if (started.statusCode !== 302 || typeof location !== 'string' || !flowCookie) throw new Error(`oauth-start answered ${started.statusCode}: ${started.body}`);
      const back = await signedInAt(provider, location, email, redirectUri);
      const event = navigationEvent(`${back.pathname}${back.search}`, route('callback'), `${FLOW_COOKIE}=${flowCookie}`);
      let reply: APIGatewayProxyResult | undefined;
      const ms = await timed(async () => (reply = await invoke(callback, 'oauth-callback', event)));
      const landing = String(reply?.headers?.Location ?? '');
      if (reply?.statusCode !== 303 || landing.includes('#error=') || !JSON.stringify(reply.multiValueHeaders ?? {}).includes('refresh_token=')) {
        throw new Error(`oauth-callback answered ${reply?.statusCode} to ${landing}`);
      }
      return ms;
    };

    // The bare relying party: discovery once (the callback keeps it per container too), then per call the exchange and the ID token's checks.
    const issuer = new URL(provider.issuer);
    const insecure = { [oauth.allowInsecureRequests]: true };
    const server = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
    const bareClient: oauth.Client = { client_id: client.clientId };
    const jwks: oauth.JWKSCacheInput = {};
    const bareCall = async (): Promise<number> => {
      const state = oauth.generateRandomState();
      const nonce = oauth.generateRandomNonce();
      const verifier = oauth.generateRandomCodeVerifier();
      const url = new URL(server.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email', state, nonce,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).toString();
      const back = await signedInAt(provider, url.href, email, redirectUri);
      return timed(async () => {
        const parameters = oauth.validateAuthResponse(server, bareClient, back.searchParams, state);
        const response = await oauth.authorizationCodeGrantRequest(server, bareClient, oauth.ClientSecretBasic(client.clientSecret), parameters, redirectUri, verifier, insecure);
        const tokens = await oauth.processAuthorizationCodeResponse(server, bareClient, response, { expectedNonce: nonce, requireIdToken: true });
        await oauth.validateApplicationLevelSignature(server, response, { ...insecure, [oauth.jwksCache]: jwks });
        if (oauth.getValidatedIdTokenClaims(tokens)?.email !== email) throw new Error('the bare exchange read another identity');
      });
    };

    const perRun = await interleavedMedians({ handler: handlerCall, bare: bareCall }, { rounds: setup.rounds, perRound: setup.perRound, warmUp: WARM_UP_CALLS });
    return [
      pairedItem({
        name: 'provider callback handler against the bare token exchange',
        unit: 'ms',
        runs: perRun.handler,
        baseline: { name: 'bare oauth4webapi code exchange + ID token checks, same provider', runs: perRun.bare },
        budget: null,
        note: `median of ${setup.perRound} callbacks per run, interleaved with the bare exchange; the local OpenID provider in its own process, a fresh code per call (the sign-in at the provider not timed); the bundle in this process signs the same identity in again on DynamoDB Local: besides the exchange, 4 round trips in sequence (the flow's conditional delete, the identity pointer, the account, the session's transaction beside the event's PutItem) and the tokens' ES256 signature`,
      }),
    ];
  } finally {
    await provider.stop();
  }
}
