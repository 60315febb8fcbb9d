import { createHash, randomBytes } from 'node:crypto';
import type { AuthenticatorTransport, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Config } from '../config';
import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { AuthMethod, ChallengeRecord, PasskeyRecord, UserRecord } from '../stores';
import type { AuthContext } from './context';
import { signInMethodCount } from './last-method';
import { eventNow } from './events';
import { passkeyView, type PasskeyView } from './passkey-view';
import type { SessionClient } from './session-client';

/**
 * Passkeys (WebAuthn discoverable credentials): the rules every ceremony shares, and the passkeys'
 * management, and the ceremonies' options. Checking a response needs @simplewebauthn/server: that
 * lives apart (passkey-registration.ts, passkey-authentication.ts), so the functions that hand out
 * options, list or delete passkeys never evaluate the library unless a passkey step-up comes. Every ceremony starts with a challenge
 * of 32 random bytes stored under its SHA-256 for 5 minutes and consumed by one conditional
 * delete, so a challenge serves one ceremony at most, however many requests race with it.
 *
 * A passkey login reveals nothing about accounts: an unknown credential, a bad signature, a used
 * or expired challenge all answer the same 401 invalid_credentials.
 */
export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const PASSKEY_NAME_MAX = 64;
/** COSE algorithms: ES256, RS256 and Ed25519. */
export const SUPPORTED_ALGORITHMS = [-7, -257, -8];


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

/**
 * Consumes the challenge the response signs iff it was made for `purpose` (and `userId`): one
 * conditional delete. The challenge itself is returned for the library to compare with the response.
 */
export async function consumeChallengeOf(ctx: AuthContext, clientDataJSON: string, purpose: ChallengeRecord['purpose'], userId?: string): Promise<string | undefined> {
  const challenge = challengeOf(clientDataJSON);
  if (!challenge) return undefined;
  const stored = await ctx.challenges.consume(hashChallenge(challenge), ctx.now());
  if (!stored || stored.purpose !== purpose || stored.userId !== userId) return undefined;
  return challenge;
}

/**
 * The ceremonies' options are plain JSON (WebAuthn Level 3, PublicKeyCredentialCreationOptionsJSON
 * and PublicKeyCredentialRequestOptionsJSON), built here as @simplewebauthn/server's
 * generateRegistrationOptions and generateAuthenticationOptions build them for these settings (a
 * unit test holds them equal). The functions that only hand out options so never evaluate the
 * library, whose import costs them a third of their cold start; every response is still checked
 * by it.
 */
const PUBLIC_KEY = 'public-key' as const;

/** POST /auth/passkeys/register/options (after step-up): creation options whose challenge is bound to this user. */
export async function passkeyRegistrationOptions(ctx: AuthContext, user: UserRecord): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(ctx.config);
  const [challenge, existing] = await Promise.all([issueChallenge(ctx, 'passkey_register', user.id), ctx.passkeys.listOfUser(user.id)]);
  return {
    challenge,
    rp: { name: rp.name, id: rp.id },
    // The user handle: what a discoverable credential hands back at sign-in to name its account.
    user: { id: Buffer.from(user.id, 'utf8').toString('base64url'), name: user.email, displayName: user.email },
    pubKeyCredParams: SUPPORTED_ALGORITHMS.map((alg) => ({ alg, type: PUBLIC_KEY })),
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestation: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[], type: PUBLIC_KEY })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required', requireResidentKey: true },
    extensions: { credProps: true },
    hints: [],
  };
}

/** POST /auth/passkeys/login/options: a fresh challenge and no allowCredentials (the authenticator offers its discoverable credentials). */
export async function passkeyLoginOptions(ctx: AuthContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const rp = relyingParty(ctx.config);
  const challenge = await issueChallenge(ctx, 'passkey_login');
  return { rpId: rp.id, challenge, allowCredentials: [], timeout: CHALLENGE_TTL_SECONDS * 1000, userVerification: 'required' };
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
