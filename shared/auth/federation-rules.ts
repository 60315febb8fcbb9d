import type { IdentityProviderConfig } from '../config';
import type { SignInRedirectError } from '../errors';

/**
 * Who gets which account when someone comes back from an identity provider: the rules of
 * docs/security.md ("Identity providers"), as pure functions so every row has its unit test.
 *
 * - An identity (provider, subject) seen before signs in to its account; nothing else ever signs
 *   in through a provider without the consent of the mailbox owner or of the signed-in owner.
 * - An address counts only where the provider is trusted for addresses and says it is verified.
 * - An existing account is never linked silently: its mailbox gets a "connect <provider>?" link.
 * - Two-factor and a disabled account apply to every sign-in method alike.
 */

export type ProviderPreset = IdentityProviderConfig['preset'];

interface PresetRules {
  /** Shown on the button: "Continue with <name>". */
  name: string;
  /** The issuer discovery starts from; undefined: the provider speaks OAuth 2 only (GitHub). */
  issuer?: string;
  /**
   * Whether the provider's word on an address counts. Google verifies addresses it hosts and says
   * so (`email_verified`); GitHub reports which of the user's addresses it verified; Entra ID lets
   * a tenant's admin or user put any address in `email` (nOAuth), so never.
   */
  addressTrust: 'verified' | 'never' | 'configured';
}

export const providerPresets: Readonly<Record<ProviderPreset, PresetRules>> = {
  google: { name: 'Google', issuer: 'https://accounts.google.com', addressTrust: 'verified' },
  github: { name: 'GitHub', addressTrust: 'verified' },
  // Multi-tenant: discovery names the issuer with a {tenantid} placeholder, each ID token its tenant.
  microsoft: { name: 'Microsoft', issuer: 'https://login.microsoftonline.com/common/v2.0', addressTrust: 'never' },
  oidc: { name: 'OpenID', addressTrust: 'configured' },
};

/** The name the pages show: the preset's, or for a generic OpenID provider its id, capitalised. */
export function providerDisplayName(provider: Pick<IdentityProviderConfig, 'id' | 'preset'>): string {
  if (provider.preset !== 'oidc') return providerPresets[provider.preset].name;
  return provider.id.charAt(0).toUpperCase() + provider.id.slice(1);
}

/** The issuer of a provider: configured for `oidc`, fixed by the other presets (none for GitHub). */
export function issuerOf(provider: Pick<IdentityProviderConfig, 'preset' | 'issuer'>): string | undefined {
  return provider.preset === 'oidc' ? provider.issuer : providerPresets[provider.preset].issuer;
}

/**
 * The address an identity may be matched on: only where the provider is trusted for addresses
 * (google, github; an oidc provider configured with trustEmail) and says this one is verified.
 * Lower-cased as every stored address is.
 */
export function trustedAddress(
  provider: Pick<IdentityProviderConfig, 'preset' | 'trustEmail'>,
  claims: { email?: string; emailVerified: boolean },
): string | undefined {
  const trust = providerPresets[provider.preset].addressTrust;
  const trusted = trust === 'verified' || (trust === 'configured' && provider.trustEmail === true);
  if (!trusted || !claims.emailVerified || !claims.email) return undefined;
  const email = claims.email.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(email) && email.length <= 254 ? email : undefined;
}

const RETURN_TO_MAX = 512;
const PROBE_ORIGIN = 'https://app.invalid';

/**
 * `returnTo` must be a path on APP_URL: starting with one "/", never "//" or "/\" (both mean
 * another host to a browser), no scheme, no control characters or spaces, and resolving to the
 * same origin. Anything else is refused, never repaired.
 */
export function isSameSitePath(returnTo: string): boolean {
  if (returnTo.length === 0 || returnTo.length > RETURN_TO_MAX) return false;
  if (!returnTo.startsWith('/') || returnTo.startsWith('//') || returnTo.startsWith('/\\')) return false;
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(returnTo)) return false;
  try {
    return new URL(returnTo, PROBE_ORIGIN).origin === PROBE_ORIGIN;
  } catch {
    return false;
  }
}

/** What the rules need to know about an account. */
export interface AccountFacts {
  userId: string;
  disabled: boolean;
  mfaEnabled: boolean;
}

export interface FederationFacts {
  /** signin: from the signed-out pages; link: started by the signed-in owner after step-up. */
  intent: 'signin' | 'link';
  /** link: the account that started the flow, if it still exists. */
  linkAccount?: AccountFacts;
  /** The live account this identity is linked to, if any. */
  identityOwner?: AccountFacts;
  /** The address, when the provider is trusted for it and says it is verified (trustedAddress). */
  trustedEmail?: string;
  /** The account holding `trustedEmail`, if any. */
  accountWithEmail?: AccountFacts;
}

export type FederationDecision =
  | { action: 'sign_in'; userId: string }
  | { action: 'second_factor'; userId: string }
  | { action: 'link'; userId: string }
  | { action: 'already_linked'; userId: string }
  | { action: 'create_account'; email: string }
  | { action: 'mail_link'; userId: string; email: string }
  | { action: 'refuse'; error: SignInRedirectError };

function signInTo(account: AccountFacts): FederationDecision {
  if (account.disabled) return { action: 'refuse', error: 'account_disabled' };
  return account.mfaEnabled ? { action: 'second_factor', userId: account.userId } : { action: 'sign_in', userId: account.userId };
}

/** The linking rules, row by row (docs/security.md has the same table in words). */
export function decideFederatedSignIn(facts: FederationFacts): FederationDecision {
  if (facts.intent === 'link') {
    if (!facts.linkAccount) return { action: 'refuse', error: 'oauth_failed' };
    if (facts.linkAccount.disabled) return { action: 'refuse', error: 'account_disabled' };
    if (facts.identityOwner) {
      return facts.identityOwner.userId === facts.linkAccount.userId
        ? { action: 'already_linked', userId: facts.linkAccount.userId }
        : { action: 'refuse', error: 'identity_in_use' };
    }
    return { action: 'link', userId: facts.linkAccount.userId };
  }
  if (facts.identityOwner) return signInTo(facts.identityOwner);
  if (!facts.trustedEmail) return { action: 'refuse', error: 'email_not_verified' };
  if (!facts.accountWithEmail) return { action: 'create_account', email: facts.trustedEmail };
  if (facts.accountWithEmail.disabled) return { action: 'refuse', error: 'account_disabled' };
  return { action: 'mail_link', userId: facts.accountWithEmail.userId, email: facts.trustedEmail };
}
