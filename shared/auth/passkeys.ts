import { createHash, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransport, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config';
import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { AuthMethod, ChallengeRecord, PasskeyRecord, PasskeyUse, UserRecord } from '../stores';
import { publicUser, type AuthContext, type PublicUser } from './context';
import { signInMethodCount } from './last-method';
import { passkeyView, type PasskeyView } from './passkey-view';
import { eventNow } from './events';
import { startRecordedSession } from './recent-sessions';
import type { SessionClient } from './session-client';
import { issueTokens, newSession, type IssuedTokens } from './tokens';

/**
 * Passkeys (WebAuthn discoverable credentials) through @simplewebauthn/server: registration by a
 * signed-in user after step-up, and usernameless sign-in. Every ceremony starts with a challenge
 * of 32 random bytes stored under its SHA-256 for 5 minutes and consumed by one conditional
 * delete, so a challenge serves one ceremony at most, however many requests race with it.
 *
 * A passkey login reveals nothing about accounts: an unknown credential, a bad signature, a used
 * or expired challenge all answer the same 401 invalid_credentials.
 */
export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const PASSKEY_NAME_MAX = 64;
/** COSE algorithms: ES256, RS256 and Ed25519. */
const SUPPORTED_ALGORITHMS = [-7, -257, -8];

export { passkeyView, type PasskeyView } from './passkey-view';

/** The relying party: `webauthnRpId` (WEBAUTHN_RP_ID) or APP_URL's host; the app origins are the only origins accepted. */
export function relyingParty(config: Pick<Config, 'APP_URL' | 'ALLOWED_ORIGINS' | 'WEBAUTHN_RP_ID' | 'TOTP_ISSUER'>): { id: string; name: string; origins: string[] } {
  const app = new URL(config.APP_URL);
  return { id: config.WEBAUTHN_RP_ID ?? app.hostname, name: config.TOTP_ISSUER, origins: [...new Set([app.origin, ...config.ALLOWED_ORIGINS])] };
}

export const hashChallenge = (challenge: string) => createHash('sha256').update(challenge).digest('base64url');

/** A fresh challenge, stored for `purpose` (and the user it was made for). The base64url form goes to the browser. */
export async function issueChallenge(ctx: AuthContext, purpose: ChallengeRecord['purpose'], userId?: string): Promise<string> {
  const challenge = randomBytes(32).toString('base64url');
  await ctx.challenges.create({ hash: hashChallenge(challenge), purpose, ...(userId ? { userId } : {}), expiresAt: ctx.now() + CHALLENGE_TTL_SECONDS * 1000 });
  return challenge;
}

/** The challenge a response's clientDataJSON signs, undefined when it cannot be read. */
export function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (parsed as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 128 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Consumes the challenge the response signs iff it was made for `purpose` (and `userId`): one
 * conditional delete. The challenge itself is returned for the library to compare with the response.
 */
async function consumeChallengeOf(ctx: AuthContext, clientDataJSON: string, purpose: ChallengeRecord['purpose'], userId?: string): Promise<string | undefined> {
  const challenge = challengeOf(clientDataJSON);
  if (!challenge) return undefined;
  const stored = await ctx.challenges.consume(hashChallenge(challenge), ctx.now());
  if (!stored || stored.purpose !== purpose || stored.userId !== userId) return undefined;
  return challenge;
}

/**
 * The counter rule (WebAuthn §6.1.1): an authenticator that counts (either the stored or the
 * presented counter is non-zero) must present a counter above the stored one; a lower or equal
 * one means a cloned authenticator or a replay. Two zeros: an authenticator that does not count.
 */
export function counterAccepted(stored: number, presented: number): boolean {
  if (stored === 0 && presented === 0) return true;
  return presented > stored;
}

/** RFC 8176: `hwk` for a device-bound key, `swk` for a synced one; `user` for the verification it did. */
export function passkeyAmr(passkey: Pick<PasskeyRecord, 'backupEligible' | 'backedUp'>): AuthMethod[] {
  return [passkey.backupEligible || passkey.backedUp ? 'swk' : 'hwk', 'user'];
}

/** POST /auth/passkeys/register/options (after step-up): creation options whose challenge is bound to this user. */
export async function passkeyRegistrationOptions(ctx: AuthContext, user: UserRecord): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(ctx.config);
  const [challenge, existing] = await Promise.all([issueChallenge(ctx, 'passkey_register', user.id), ctx.passkeys.listOfUser(user.id)]);
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.email,
    // The user handle: what a discoverable credential hands back at sign-in to name its account.
    userID: new TextEncoder().encode(user.id),
    challenge: Buffer.from(challenge, 'base64url'),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[] })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
  });
}

/**
 * POST /auth/passkeys/register: verifies the attestation against a challenge of this user and
 * stores the passkey, with its notice and its security event.
 */
export async function registerPasskey(
  ctx: AuthContext,
  userId: string,
  input: { response: RegistrationResponseJSON; name?: string },
  client: SessionClient = {},
): Promise<PasskeyView> {
  const [challenge, user] = await Promise.all([consumeChallengeOf(ctx, input.response.response.clientDataJSON, 'passkey_register', userId), ctx.users.findById(userId)]);
  if (!user) throw new ApiError('unauthorized');
  if (!challenge) throw new ApiError('invalid_passkey');
  const rp = relyingParty(ctx.config);
  const verification = await verifyRegistrationResponse({
    response: input.response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origins,
    expectedRPID: rp.id,
    requireUserVerification: true,
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  }).catch(() => ({ verified: false as const }));
  if (!verification.verified) throw new ApiError('invalid_passkey');
  const info = verification.registrationInfo;
  const now = ctx.now();
  const passkey: PasskeyRecord = {
    id: info.credential.id,
    userId: user.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: info.credential.transports ?? [],
    aaguid: info.aaguid,
    backupEligible: info.credentialDeviceType === 'multiDevice',
    backedUp: info.credentialBackedUp,
    name: input.name?.trim() || 'Passkey',
    createdAt: now,
  };
  const event = eventNow(ctx, user.id, 'passkey_added', client);
  if (!(await ctx.passkeys.create(passkey, { kind: 'passkey_added', email: user.email, name: passkey.name }, now, event))) throw new ApiError('invalid_passkey');
  recordSecurityEvent('PasskeyAdded', { userId: user.id });
  return passkeyView(passkey);
}

/** GET /auth/passkeys: the caller's passkeys, newest first. */
export async function listPasskeys(ctx: AuthContext, userId: string): Promise<PasskeyView[]> {
  const passkeys = await ctx.passkeys.listOfUser(userId);
  return passkeys.sort((a, b) => b.createdAt - a.createdAt).map(passkeyView);
}

/**
 * DELETE /auth/passkeys/{id} (after step-up): never the account's last way to sign in (an account
 * without a password keeps its last passkey). The notice and the security event go with the delete.
 */
export async function deletePasskey(ctx: AuthContext, user: UserRecord, credentialId: string, client: SessionClient = {}): Promise<void> {
  const [passkeys, identities] = await Promise.all([ctx.passkeys.listOfUser(user.id), ctx.identities.listOfUser(user.id)]);
  const passkey = passkeys.find((p) => p.id === credentialId);
  if (!passkey) throw new ApiError('not_found');
  if (signInMethodCount(user, passkeys.length, identities.length) <= 1) throw new ApiError('last_sign_in_method');
  const event = eventNow(ctx, user.id, 'passkey_removed', client);
  if (!(await ctx.passkeys.remove(user.id, credentialId, { kind: 'passkey_removed', email: user.email, name: passkey.name }, ctx.now(), event))) {
    throw new ApiError('not_found');
  }
  recordSecurityEvent('PasskeyRemoved', { userId: user.id });
}

/** POST /auth/passkeys/login/options: a fresh challenge and no allowCredentials (the authenticator offers its discoverable credentials). */
export async function passkeyLoginOptions(ctx: AuthContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const rp = relyingParty(ctx.config);
  const challenge = await issueChallenge(ctx, 'passkey_login');
  return generateAuthenticationOptions({
    rpID: rp.id,
    challenge: Buffer.from(challenge, 'base64url'),
    allowCredentials: [],
    userVerification: 'required',
    timeout: CHALLENGE_TTL_SECONDS * 1000,
  });
}

/** A user id as a user handle carries it, when it has the shape of one. */
function userIdOf(userHandle: string | undefined): string | undefined {
  if (!userHandle) return undefined;
  const id = Buffer.from(userHandle, 'base64url').toString('utf8');
  return /^[\w-]{1,64}$/.test(id) ? id : undefined;
}

/** An assertion verified, its counter rule checked against the credential as read; its use not yet recorded. */
interface VerifiedAssertion {
  passkey: PasskeyRecord;
  user: UserRecord;
  use: PasskeyUse;
}

/**
 * Checks an assertion against a login challenge: the challenge consumed beside `read` of the
 * account and the credential, the signature checked with user verification, the counter rule
 * against the counter read. The use is recorded by the caller, conditionally on the counter rule
 * again (a parallel use may have moved it meanwhile). `expectedUserId` (step-up) pins the
 * account. Every failure is the same `refusal`.
 */
async function checkPasskeyAssertion(
  ctx: AuthContext,
  response: AuthenticationResponseJSON,
  refusal: ApiError,
  read: (userId: string, credentialId: string) => Promise<{ user?: UserRecord; passkey?: PasskeyRecord }>,
  expectedUserId?: string,
): Promise<VerifiedAssertion> {
  const userId = userIdOf(response.response.userHandle) ?? expectedUserId;
  if (!userId || (expectedUserId !== undefined && userId !== expectedUserId)) {
    // Still spends the challenge: a refused response never leaves it usable.
    await consumeChallengeOf(ctx, response.response.clientDataJSON, 'passkey_login');
    throw refusal;
  }
  const [challenge, { passkey, user }] = await Promise.all([
    consumeChallengeOf(ctx, response.response.clientDataJSON, 'passkey_login'),
    read(userId, response.id),
  ]);
  if (!challenge || !passkey || !user) throw refusal;
  const rp = relyingParty(ctx.config);
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origins,
    expectedRPID: rp.id,
    credential: { id: passkey.id, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter },
    requireUserVerification: true,
  }).catch((error: unknown) => {
    if (String(error).includes('counter')) recordSecurityEvent('PasskeyCounterRegression', { userId });
    return { verified: false as const, authenticationInfo: undefined };
  });
  if (!verification.verified || !verification.authenticationInfo) throw refusal;
  const { newCounter, credentialBackedUp } = verification.authenticationInfo;
  if (!counterAccepted(passkey.counter, newCounter)) {
    recordSecurityEvent('PasskeyCounterRegression', { userId });
    throw refusal;
  }
  return {
    passkey: { ...passkey, counter: newCounter, backedUp: credentialBackedUp },
    user,
    use: { userId, credentialId: passkey.id, counter: newCounter, backedUp: credentialBackedUp, usedAt: ctx.now() },
  };
}

/**
 * Verifies an assertion against a login challenge (step-up): checked as above, then the counter
 * advanced by a conditional write. Every failure is the same `refusal`. The account and the
 * credential are read by two GetItems: the many routes with step-up keep to the read grant
 * (a BatchGetItem needs one of its own), and none of them is a sign-in measured against a floor.
 */
export async function verifyPasskeyAssertion(
  ctx: AuthContext,
  response: AuthenticationResponseJSON,
  refusal: ApiError,
  expectedUserId?: string,
): Promise<{ passkey: PasskeyRecord; user: UserRecord }> {
  const readApart = async (userId: string, credentialId: string) => {
    const [user, passkey] = await Promise.all([ctx.users.findById(userId), ctx.passkeys.get(userId, credentialId)]);
    return { ...(user ? { user } : {}), ...(passkey ? { passkey } : {}) };
  };
  const { passkey, user, use } = await checkPasskeyAssertion(ctx, response, refusal, readApart, expectedUserId);
  // A parallel use presenting the same counter loses here.
  if (!(await ctx.passkeys.recordUse(use))) {
    if (use.counter !== 0) recordSecurityEvent('PasskeyCounterRegression', { userId: use.userId });
    throw refusal;
  }
  return { passkey, user };
}

/**
 * POST /auth/passkeys/login: a verified assertion with user verification signs in, two-factor
 * satisfied (the passkey is something held, its verification something known or are). The session
 * is recorded on the password hash read with the account, so a reset meanwhile still revokes it.
 *
 * Three DynamoDB calls, like the least any passkey login can make: the challenge's delete beside
 * the read of the account and the credential, then one transaction with the session, its entry on
 * the user item (refused for a disabled account), the credential's new counter (refused when a
 * parallel use moved it meanwhile) and the signed_in event.
 */
export async function passkeyLogin(ctx: AuthContext, response: AuthenticationResponseJSON, client: SessionClient = {}): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  const refusal = new ApiError('invalid_credentials');
  const { passkey, user, use } = await checkPasskeyAssertion(ctx, response, refusal, (userId, credentialId) => ctx.users.findWithPasskey(userId, credentialId));
  const session = newSession(ctx, user.id, client, passkeyAmr(passkey));
  await startRecordedSession(ctx, user, session, user.passwordHash, refusal, {
    passkeyUse: use,
    event: eventNow(ctx, user.id, 'signed_in', { ...client, method: 'passkey' }),
  });
  const tokens = await issueTokens(ctx, session, session.generation);
  return { user: publicUser(user), tokens };
}
