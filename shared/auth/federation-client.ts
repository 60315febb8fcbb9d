import * as oauth from 'oauth4webapi';
import { readSecretString } from '../aws/secrets';
import { cachedLoader, SECRET_CACHE_MS, type CachedLoader } from '../cached-loader';
import type { IdentityProviderConfig } from '../config';
import { issuerOf } from './federation-rules';

/**
 * The OAuth 2 / OpenID Connect client side of a provider, through oauth4webapi (certified, small,
 * no dependencies): discovery, PKCE S256, state, nonce, the code exchange and the ID token's
 * checks (signature against the provider's JWKS, issuer, audience, nonce, expiry, and the
 * algorithm from discovery). GitHub speaks OAuth 2 only: its identity is the user id, its address
 * the verified primary one from the emails API. Nothing here decides who gets which account.
 */

/** Who came back from the provider. */
export interface ProviderIdentity {
  subject: string;
  email?: string;
  emailVerified: boolean;
}

/** The provider said no, or the person cancelled at the provider. */
export class ProviderRefusal extends Error {
  override name = 'ProviderRefusal';
  constructor(readonly cancelled: boolean, message: string) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 5000;

const github = {
  authorization: 'https://github.com/login/oauth/authorize',
  token: 'https://github.com/login/oauth/access_token',
  user: 'https://api.github.com/user',
  emails: 'https://api.github.com/user/emails',
};

/** Plain http is allowed only for a loopback issuer (the local provider); config refuses it elsewhere. */
const insecureAllowed = (url: string | undefined) => url !== undefined && url.startsWith('http://');

function requestOptions(provider: IdentityProviderConfig) {
  return { [oauth.allowInsecureRequests]: insecureAllowed(issuerOf(provider)), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
}

const metadata = new Map<string, Promise<oauth.AuthorizationServer>>();

async function discover(provider: IdentityProviderConfig): Promise<oauth.AuthorizationServer> {
  const issuer = issuerOf(provider);
  if (issuer === undefined) {
    return { issuer: 'https://github.com', authorization_endpoint: github.authorization, token_endpoint: github.token };
  }
  const microsoft = provider.preset === 'microsoft';
  // Entra ID's multi-tenant discovery names its issuer with a placeholder; each ID token's issuer names its tenant.
  const expected = microsoft ? 'https://login.microsoftonline.com/{tenantid}/v2.0' : issuer;
  const response = await oauth.discoveryRequest(new URL(issuer), { ...requestOptions(provider), algorithm: 'oidc' });
  const server = await oauth.processDiscoveryResponse(new URL(expected), response);
  if (microsoft) {
    // oauth4webapi's hook for multi-tenant issuers (exported, untyped).
    const expectedIssuer = (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;
    Object.assign(server, { [expectedIssuer]: (result: { claims: { tid?: unknown } }) => expected.replace('{tenantid}', String(result.claims.tid)) });
  }
  return server;
}

/** Discovery once per container and provider; a failure is forgotten so the next request tries again. */
function serverOf(provider: IdentityProviderConfig): Promise<oauth.AuthorizationServer> {
  let found = metadata.get(provider.id);
  if (!found) {
    found = discover(provider).catch((error: unknown) => {
      metadata.delete(provider.id);
      throw error;
    });
    metadata.set(provider.id, found);
  }
  return found;
}

const clientSecrets = new Map<string, CachedLoader<string>>();

/**
 * The client secret: the value itself locally, else read from Secrets Manager and kept for
 * SECRET_CACHE_MS like the key secrets, so a value the operator sets (or changes) after deploy
 * reaches warm functions within minutes.
 */
function clientSecretOf(provider: IdentityProviderConfig): CachedLoader<string> {
  let loader = clientSecrets.get(provider.id);
  if (!loader) {
    const { clientSecret, clientSecretId } = provider;
    loader = cachedLoader(() => (clientSecret !== undefined ? Promise.resolve(clientSecret) : readSecretString(clientSecretId!)), SECRET_CACHE_MS);
    clientSecrets.set(provider.id, loader);
  }
  return loader;
}

/**
 * The token endpoint refused our client authentication: 401 invalid_client, with or without the
 * WWW-Authenticate challenge RFC 6749 asks for, or GitHub's 200 with `incorrect_client_credentials`.
 */
function isClientRefused(error: unknown): boolean {
  if (error instanceof oauth.WWWAuthenticateChallengeError) return error.status === 401;
  if (error instanceof oauth.ResponseBodyError) return error.error === 'invalid_client';
  if (error instanceof oauth.OperationProcessingError) return (error.cause as { body?: { error?: unknown } } | undefined)?.body?.error === 'incorrect_client_credentials';
  return false;
}

/**
 * The code exchanged for tokens. When the provider refuses our client secret, the secret is read
 * again at once and the exchange tried once more: the kept value may be the placeholder from
 * before the operator set it, or the one just replaced (client authentication is checked before
 * the code, so the code is still unspent).
 */
async function exchangeCode(
  provider: IdentityProviderConfig,
  server: oauth.AuthorizationServer,
  client: oauth.Client,
  callback: URLSearchParams,
  flow: { nonce: string; verifier: string; redirectUri: string },
): Promise<{ response: Response; tokens: oauth.TokenEndpointResponse }> {
  const secret = clientSecretOf(provider);
  const attempt = async () => {
    const value = await secret.get();
    const authentication = isOpenId(provider) ? oauth.ClientSecretBasic(value) : oauth.ClientSecretPost(value);
    const response = await oauth.authorizationCodeGrantRequest(server, client, authentication, callback, flow.redirectUri, flow.verifier, requestOptions(provider));
    const tokens = isOpenId(provider)
      ? await oauth.processAuthorizationCodeResponse(server, client, response, { expectedNonce: flow.nonce, requireIdToken: true })
      : await oauth.processAuthorizationCodeResponse(server, client, response);
    return { response, tokens };
  };
  try {
    return await attempt();
  } catch (error) {
    if (!isClientRefused(error)) throw error;
    secret.reset();
    return attempt();
  }
}

const jwksCaches = new Map<string, oauth.JWKSCacheInput>();
/** The provider's keys, kept per container (oauth4webapi refreshes them when a token names an unknown key). */
function jwksCacheOf(provider: IdentityProviderConfig): oauth.JWKSCacheInput {
  let cache = jwksCaches.get(provider.id);
  if (!cache) jwksCaches.set(provider.id, (cache = {}));
  return cache;
}

const isOpenId = (provider: IdentityProviderConfig) => provider.preset !== 'github';

/** A fresh state, nonce and PKCE verifier for one flow. */
export function newFlowSecrets(): { state: string; nonce: string; verifier: string } {
  return { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier() };
}

/** The provider's authorization URL for this flow (code flow, PKCE S256, state, nonce for OpenID). */
export async function authorizationUrl(provider: IdentityProviderConfig, flow: { state: string; nonce: string; verifier: string; redirectUri: string }): Promise<string> {
  const server = await serverOf(provider);
  const url = new URL(server.authorization_endpoint!);
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', flow.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', isOpenId(provider) ? 'openid email' : 'read:user user:email');
  url.searchParams.set('state', flow.state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(flow.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (isOpenId(provider)) url.searchParams.set('nonce', flow.nonce);
  return url.href;
}

/**
 * The callback's parameters checked (state, error), the code exchanged with the verifier, and the
 * identity read: from the verified ID token, or for GitHub from its API.
 */
export async function completeAuthorization(
  provider: IdentityProviderConfig,
  parameters: URLSearchParams,
  flow: { state: string; nonce: string; verifier: string; redirectUri: string },
): Promise<ProviderIdentity> {
  const server = await serverOf(provider);
  const client: oauth.Client = { client_id: provider.clientId };
  let callback: URLSearchParams;
  try {
    callback = oauth.validateAuthResponse(server, client, parameters, flow.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) throw new ProviderRefusal(error.error === 'access_denied', error.error);
    throw error;
  }
  const { response, tokens } = await exchangeCode(provider, server, client, callback, flow);
  if (!isOpenId(provider)) return githubIdentity(tokens.access_token);
  // The signature too, against the provider's JWKS (the local provider answers over plain http, without TLS to vouch for it).
  await oauth.validateApplicationLevelSignature(server, response, { ...requestOptions(provider), [oauth.jwksCache]: jwksCacheOf(provider) });
  const claims = oauth.getValidatedIdTokenClaims(tokens)!;
  return {
    subject: claims.sub,
    ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
    emailVerified: claims.email_verified === true,
  };
}

async function githubIdentity(accessToken: string): Promise<ProviderIdentity> {
  const headers = { Authorization: `Bearer ${accessToken}`, Accept: 'application/vnd.github+json', 'User-Agent': 'serverless-auth' };
  const [user, emails] = await Promise.all([
    fetch(github.user, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
    fetch(github.emails, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
  ]);
  if (!user.ok) throw new ProviderRefusal(false, `GitHub user ${user.status}`);
  const { id } = (await user.json()) as { id?: unknown };
  if (typeof id !== 'number' && typeof id !== 'string') throw new ProviderRefusal(false, 'GitHub user without id');
  const list = emails.ok ? ((await emails.json()) as Array<{ email?: unknown; primary?: unknown; verified?: unknown }>) : [];
  const primary = Array.isArray(list) ? list.find((e) => e.primary === true && typeof e.email === 'string') : undefined;
  return { subject: String(id), ...(primary ? { email: primary.email as string } : {}), emailVerified: primary?.verified === true };
}
