import { generateMfaKey, generateRefreshTokenKey, generateSigningKeyPair } from '../../shared/keygen';
import { resetConfig } from '../../shared/config';
import { resetKeyCache } from '../../shared/keys';
import { planKeyMaintenance, type RotationPolicy } from '../keys/rotation';

/**
 * The local stand-in for the key manager's schedule: one run of the same plan
 * (infra/keys/rotation.ts) on the keys the local stack holds in its environment, where AWS holds
 * them in Secrets Manager. The functions re-read their keys at once instead of after their
 * five-minute cache: a drill can publish, switch and prune in seconds, with its own policy.
 *
 * Only the TypeScript sources share this process's config and key caches; the bundles carry
 * copies of their own that this cannot reach.
 */
export interface LocalRotationStep {
  /** What the plan did, by kid (e.g. "published next key …", "switched signing key … -> …"). */
  events: string[];
  /** The kid that signs from now on, and every published kid. */
  signingKid: string;
  publishedKids: string[];
}

export function rotateLocalKeys(policy: RotationPolicy, rotateNow: boolean): LocalRotationStep {
  const { writes, events } = planKeyMaintenance({
    stored: {
      signingKey: process.env.JWT_PRIVATE_KEY,
      publicKeys: process.env.JWT_PUBLIC_KEYS,
      refreshKey: process.env.REFRESH_TOKEN_KEY,
      mfaKey: process.env.MFA_SECRET_KEY,
    },
    now: new Date(),
    policy,
    rotateNow,
    generateKeyPair: () => generateSigningKeyPair(),
    generateRefreshKey: generateRefreshTokenKey,
    generateMfaKey,
  });
  // Public keys first, as the key manager writes them: a kid is never signed with before it is published.
  if (writes.publicKeys) process.env.JWT_PUBLIC_KEYS = writes.publicKeys;
  if (writes.signingKey) process.env.JWT_PRIVATE_KEY = writes.signingKey;
  resetConfig();
  resetKeyCache();
  const { kid } = JSON.parse(process.env.JWT_PRIVATE_KEY!) as { kid: string };
  const { keys } = JSON.parse(process.env.JWT_PUBLIC_KEYS!) as { keys: Array<{ kid: string }> };
  return { events, signingKid: kid, publishedKids: keys.map((k) => k.kid) };
}
