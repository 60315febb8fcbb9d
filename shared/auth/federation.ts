import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IdentityProviderConfig } from '../config';
import { ApiError, type SignInRedirectError } from '../errors';
import { logger, recordSecurityEvent } from '../observability';
import type { IdentityRecord, NewIdentity, OAuthFlowState, UserRecord } from '../stores';
import { hashVerificationToken } from '../tokens/verification-token';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { eventNow, recordEvent } from './events';
import { authorizationUrl, completeAuthorization, newFlowSecrets, ProviderRefusal, type ProviderIdentity } from './federation-client';
import { decideFederatedSignIn, isSameSitePath, providerDisplayName, trustedAddress, type AccountFacts, type FederationDecision } from './federation-rules';
import { startMfaChallenge, type MfaRequired } from './mfa-challenge';
import { passkeyView, type PasskeyView } from './passkey-view';
import { startRecordedSession } from './recent-sessions';
import type { SessionClient } from './session-client';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

/**
 * Sign-in with an identity provider (code flow with PKCE, state and nonce through
 * federation-client.ts), linking, the mailed "connect <provider>?" confirmation, the list of
 * sign-in methods and unlinking. Who gets which account is decided by federation-rules.ts.
 *
 * A flow is a single-use item (the challenge store) keyed by the SHA-256 of its `state`, 10
 * minutes, consumed by one conditional delete; the flow cookie holds a random value whose SHA-256
 * the flow keeps, so a callback from a browser that did not start the flow (login CSRF, a stolen
 * or replayed `state`) is refused as invalid_state.
 */
export const FLOW_TTL_SECONDS = 10 * 60;
export const FLOW_COOKIE = 'oauth_flow';
const DEFAULT_RETURN_TO = '/';

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The flow item's key: the SHA-256 of its `state` (the state itself is never stored). */
export const flowKeyOf = (state: string) => sha256(state);

/** The configured provider with this id; 404 for any other (the path names it). */
export function providerOf(ctx: Pick<AuthContext, 'config'>, id: string | undefined): IdentityProviderConfig {
  const provider = ctx.config.IDENTITY_PROVIDERS.find((p) => p.id === id);
  if (!provider) throw new ApiError('not_found');
  return provider;
}

/** The providers the sign-in pages offer: id and the name on the button. */
export function configuredProviders(ctx: Pick<AuthContext, 'config'>): { id: string; name: string }[] {
  return ctx.config.IDENTITY_PROVIDERS.map((p) => ({ id: p.id, name: providerDisplayName(p) }));
}

/** Where the provider sends the browser back: `<API base>/auth/oauth/{id}/callback` (registered with the provider). */
export function callbackUrl(ctx: Pick<AuthContext, 'config'>, providerId: string): string {
  return `${ctx.config.JWT_ISSUER}/auth/oauth/${providerId}/callback`;
}

/** The returnTo a flow may carry: a same-site path, else 400 validation_failed (never repaired, never an open redirect). */
export function checkedReturnTo(returnTo: string | undefined): string {
  if (returnTo === undefined || returnTo === '') return DEFAULT_RETURN_TO;
  if (!isSameSitePath(returnTo)) throw new ApiError('validation_failed', { errors: [{ field: 'returnTo', message: 'must be a path on this site, like /account' }] });
  return returnTo;
}

export interface StartedFlow {
  authorizationUrl: string;
  /** The flow cookie's value: only its hash is stored. */
  browserSecret: string;
}

/** Starts a flow: the single-use flow item and the provider's authorization URL. */
export async function startFlow(
  ctx: AuthContext,
  provider: IdentityProviderConfig,
  options: { returnTo: string; intent: OAuthFlowState['intent']; userId?: string },
): Promise<StartedFlow> {
  const secrets = newFlowSecrets();
  const browserSecret = randomBytes(32).toString('base64url');
  const url = await authorizationUrl(provider, { ...secrets, redirectUri: callbackUrl(ctx, provider.id) }).catch((error: unknown) => {
    logger.warn('identity provider discovery failed', { provider: provider.id, error: String(error) });
    throw new ApiError('service_unavailable', { retryAfterSeconds: 5 });
  });
  await ctx.challenges.create({
    hash: flowKeyOf(secrets.state),
    purpose: 'oauth_flow',
    ...(options.userId ? { userId: options.userId } : {}),
    flow: {
      provider: provider.id, verifier: secrets.verifier, nonce: secrets.nonce, returnTo: options.returnTo, intent: options.intent, browserBinding: sha256(browserSecret),
    },
    expiresAt: ctx.now() + FLOW_TTL_SECONDS * 1000,
  });
  return { authorizationUrl: url, browserSecret };
}

/** How a callback ends: always a redirect to the app (never a problem reply to a navigating browser). */
export type CallbackOutcome =
  | { kind: 'signed_in'; tokens: IssuedTokens; returnTo: string }
  | { kind: 'second_factor'; mfaToken: string }
  | { kind: 'back'; returnTo: string }
  | { kind: 'notice'; notice: 'link_mail_sent' }
  | { kind: 'error'; error: SignInRedirectError };

/** The flow cookie's hash is the one the flow was started with (both are hashes: a plain compare leaks nothing, this one is constant-time anyway). */
export function browserMatches(flow: Pick<OAuthFlowState, 'browserBinding'>, cookieValue: string | undefined): boolean {
  if (!cookieValue) return false;
  const presented = Buffer.from(sha256(cookieValue));
  const expected = Buffer.from(flow.browserBinding);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Consumes the flow `state` names iff it was made for this provider and this browser; undefined otherwise (the flow is spent either way). */
export async function consumeFlow(ctx: AuthContext, providerId: string, state: string | null, cookieValue: string | undefined): Promise<(OAuthFlowState & { state: string; userId?: string }) | undefined> {
  if (!state || state.length > 512) return undefined;
  const stored = await ctx.challenges.consume(flowKeyOf(state), ctx.now());
  if (stored?.purpose !== 'oauth_flow' || !stored.flow || stored.flow.provider !== providerId) return undefined;
  if (!browserMatches(stored.flow, cookieValue)) return undefined;
  return { ...stored.flow, state, ...(stored.userId ? { userId: stored.userId } : {}) };
}

const factsOf = (user: UserRecord | undefined): AccountFacts | undefined =>
  user ? { userId: user.id, disabled: user.disabled === true, mfaEnabled: user.mfaEnabled === true } : undefined;

/**
 * GET or POST /auth/oauth/{provider}/callback: the flow consumed and bound to this browser, the
 * code exchanged and the ID token checked, then the linking rules decide.
 */
export async function completeCallback(
  ctx: AuthContext,
  providerId: string | undefined,
  parameters: URLSearchParams,
  cookieValue: string | undefined,
  client: SessionClient = {},
): Promise<CallbackOutcome> {
  const provider = ctx.config.IDENTITY_PROVIDERS.find((p) => p.id === providerId);
  if (!provider) return { kind: 'error', error: 'oauth_failed' };
  const flow = await consumeFlow(ctx, provider.id, parameters.get('state'), cookieValue);
  if (!flow) return { kind: 'error', error: 'invalid_state' };
  let identity: ProviderIdentity;
  try {
    identity = await completeAuthorization(provider, parameters, { state: flow.state, nonce: flow.nonce, verifier: flow.verifier, redirectUri: callbackUrl(ctx, provider.id) });
  } catch (error) {
    const cancelled = error instanceof ProviderRefusal && error.cancelled;
    logger.warn('identity provider sign-in failed', { provider: provider.id, cancelled, error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' });
    return { kind: 'error', error: cancelled ? 'oauth_cancelled' : 'oauth_failed' };
  }
  try {
    return await actOn(ctx, provider, flow, identity, client);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'account_disabled') return { kind: 'error', error: 'account_disabled' };
    if (error instanceof ApiError && error.status < 500) return { kind: 'error', error: 'oauth_failed' };
    throw error;
  }
}

async function actOn(ctx: AuthContext, provider: IdentityProviderConfig, flow: OAuthFlowState & { userId?: string }, identity: ProviderIdentity, client: SessionClient): Promise<CallbackOutcome> {
  const pointer = await ctx.identities.findBySubject(provider.id, identity.subject);
  const trustedEmail = trustedAddress(provider, identity);
  const [owner, linkAccount, accountWithEmail] = await Promise.all([
    pointer ? ctx.users.findById(pointer.userId) : undefined,
    flow.intent === 'link' && flow.userId ? ctx.users.findById(flow.userId) : undefined,
    flow.intent === 'signin' && !pointer && trustedEmail ? ctx.users.findByEmail(trustedEmail) : undefined,
  ]);
  // A pointer whose account was deleted: the identity is new again, and the pointer may be replaced.
  const staleOwner = pointer && !owner ? pointer.userId : undefined;
  const decision = decideFederatedSignIn({
    intent: flow.intent,
    ...(linkAccount ? { linkAccount: factsOf(linkAccount) } : {}),
    ...(owner ? { identityOwner: factsOf(owner) } : {}),
    ...(trustedEmail ? { trustedEmail } : {}),
    ...(accountWithEmail ? { accountWithEmail: factsOf(accountWithEmail) } : {}),
  });
  const newIdentity: NewIdentity = { provider: provider.id, subject: identity.subject, ...(identity.email ? { email: identity.email.toLowerCase() } : {}) };
  return carryOut(ctx, provider, decision, { flow, newIdentity, staleOwner, users: { owner, linkAccount, accountWithEmail } }, client);
}

async function carryOut(
  ctx: AuthContext,
  provider: IdentityProviderConfig,
  decision: FederationDecision,
  known: { flow: OAuthFlowState; newIdentity: NewIdentity; staleOwner: string | undefined; users: Record<'owner' | 'linkAccount' | 'accountWithEmail', UserRecord | undefined> },
  client: SessionClient,
): Promise<CallbackOutcome> {
  const { flow, newIdentity, staleOwner, users } = known;
  switch (decision.action) {
    case 'refuse':
      return { kind: 'error', error: decision.error };
    case 'sign_in':
      return { kind: 'signed_in', tokens: await startIdentitySession(ctx, users.owner!, provider.id, client), returnTo: flow.returnTo };
    case 'second_factor':
      return { kind: 'second_factor', mfaToken: (await startMfaChallenge(ctx, users.owner!)).mfaToken };
    case 'already_linked':
      return { kind: 'back', returnTo: flow.returnTo };
    case 'link': {
      const user = users.linkAccount!;
      const outcome = await ctx.identities.link(identityRecord(ctx, user.id, newIdentity), linkedNotice(user, provider), eventNow(ctx, user.id, 'identity_linked', { ...client, provider: provider.id }), ctx.now(), staleOwner ? { staleOwner } : {});
      if (outcome === 'identity_taken') return { kind: 'error', error: 'identity_in_use' };
      if (outcome !== 'linked') return { kind: 'error', error: 'oauth_failed' };
      recordSecurityEvent('IdentityLinked', { userId: user.id });
      return { kind: 'back', returnTo: flow.returnTo };
    }
    case 'create_account': {
      const user: UserRecord = { id: randomUUID(), email: decision.email, passwordHash: '', createdAt: new Date(ctx.now()).toISOString() };
      const created = await ctx.identities.createAccount(user, identityRecord(ctx, user.id, newIdentity), eventNow(ctx, user.id, 'identity_linked', { ...client, provider: provider.id }), staleOwner ? { staleOwner } : {});
      if (created === 'created') {
        recordSecurityEvent('FederatedAccountCreated', { userId: user.id });
        return { kind: 'signed_in', tokens: await startIdentitySession(ctx, user, provider.id, client), returnTo: flow.returnTo };
      }
      if (created === 'identity_taken') return { kind: 'error', error: 'oauth_failed' };
      // The address got an account meanwhile: it is never linked silently, its mailbox is asked.
      const holder = await ctx.users.findByEmail(decision.email);
      if (!holder) return { kind: 'error', error: 'oauth_failed' };
      return carryOut(ctx, provider, { action: 'mail_link', userId: holder.id, email: decision.email }, { ...known, users: { ...users, accountWithEmail: holder } }, client);
    }
    case 'mail_link':
      await ctx.outbox.enqueue({ kind: 'identity_link', email: decision.email, userId: decision.userId, provider: provider.id, providerName: providerDisplayName(provider), subject: newIdentity.subject });
      return { kind: 'notice', notice: 'link_mail_sent' };
  }
}

function identityRecord(ctx: AuthContext, userId: string, identity: NewIdentity): IdentityRecord {
  return { ...identity, id: randomBytes(16).toString('base64url'), userId, linkedAt: ctx.now() };
}

const linkedNotice = (user: UserRecord, provider: IdentityProviderConfig) => ({ kind: 'identity_linked' as const, email: user.email, providerName: providerDisplayName(provider) });

/**
 * A session started by an identity: through the one start-a-session path, recorded on the user
 * (a password reset, two-factor turned on or a disabling that commits meanwhile refuses it).
 */
async function startIdentitySession(ctx: AuthContext, user: UserRecord, providerId: string, client: SessionClient): Promise<IssuedTokens> {
  const session = newSession(ctx, user.id, client, ['fed'], user.roles);
  await Promise.all([
    startRecordedSession(ctx, user, session, user.passwordHash, new ApiError(user.disabled ? 'account_disabled' : 'invalid_token')),
    recordEvent(ctx, user.id, 'signed_in', { ...client, method: 'identity', provider: providerId }),
  ]);
  return issueTokens(ctx, session, session.generation);
}

/**
 * POST /auth/identities/confirm: the mailbox owner accepts the "connect <provider>?" link. The
 * link is used up by one conditional delete; the identity is linked only while the account still
 * has the mailed address and no other account holds the identity; then it signs in (or asks for
 * the second factor).
 */
export async function confirmIdentityLink(ctx: AuthContext, token: string, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens } | MfaRequired> {
  const refusal = new ApiError('invalid_token');
  const stored = await ctx.challenges.consume(hashVerificationToken(token), ctx.now());
  if (stored?.purpose !== 'identity_link' || !stored.identity?.email || !stored.userId) throw refusal;
  const identity = stored.identity;
  const [user, pointer] = await Promise.all([ctx.users.findById(stored.userId), ctx.identities.findBySubject(identity.provider, identity.subject)]);
  if (!user || user.email !== identity.email) throw refusal;
  if (user.disabled) throw new ApiError('account_disabled');
  const provider = ctx.config.IDENTITY_PROVIDERS.find((p) => p.id === identity.provider);
  if (!provider) throw refusal;
  if (pointer?.userId !== user.id) {
    const staleOwner = pointer && !(await ctx.users.findById(pointer.userId)) ? pointer.userId : undefined;
    if (pointer && !staleOwner) throw refusal;
    const outcome = await ctx.identities.link(
      identityRecord(ctx, user.id, identity), linkedNotice(user, provider), eventNow(ctx, user.id, 'identity_linked', { ...client, provider: provider.id }), ctx.now(),
      { requireEmail: identity.email, ...(staleOwner ? { staleOwner } : {}) },
    );
    if (outcome !== 'linked') throw refusal;
    recordSecurityEvent('IdentityLinked', { userId: user.id });
  }
  if (user.mfaEnabled) return startMfaChallenge(ctx, user);
  return { user: publicUser(user), tokens: await startIdentitySession(ctx, user, provider.id, client) };
}

export interface IdentityView {
  id: string;
  provider: string;
  email: string | null;
  linkedAt: string;
}

export interface SignInMethods {
  password: boolean;
  totp: boolean;
  passkeys: PasskeyView[];
  identities: IdentityView[];
}

const identityView = (identity: IdentityRecord): IdentityView => ({
  id: identity.id, provider: identity.provider, email: identity.email ?? null, linkedAt: new Date(identity.linkedAt).toISOString(),
});

/** GET /auth/methods: how the caller's account can sign in. */
export async function signInMethods(ctx: AuthContext, userId: string): Promise<SignInMethods> {
  const [user, passkeys, identities] = await Promise.all([ctx.users.findById(userId), ctx.passkeys.listOfUser(userId), ctx.identities.listOfUser(userId)]);
  if (!user) throw new ApiError('unauthorized');
  return {
    password: Boolean(user.passwordHash),
    totp: user.mfaEnabled === true,
    passkeys: passkeys.sort((a, b) => b.createdAt - a.createdAt).map(passkeyView),
    identities: identities.sort((a, b) => a.linkedAt - b.linkedAt).map(identityView),
  };
}
