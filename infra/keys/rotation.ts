import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { KEY_CACHE_MS } from '../../shared/keys';

/**
 * Key maintenance as a pure function from what the secrets hold now to what they must hold next.
 * The key manager runs it at first deploy (to create the keys) and then every hour (to rotate),
 * so every step is idempotent and a run that dies half-way is finished by the next one.
 *
 * Secrets (formats of shared/keys.ts; the extra fields here are ignored by the functions):
 *   signing key  {"kid","privateKey","createdAt","next"?: {"kid","privateKey"}}
 *   public keys  {"keys":[{"kid","publicKey","createdAt","retiredAt"?}]}
 *   refresh key  base64url of 32 random bytes
 *
 * Rotation, in three runs at least:
 *   1. publish: a new pair is made; its public key joins the public keys and its private key waits
 *      in the signing secret's `next`. Nothing signs with it yet.
 *   2. switch: once every warm function has re-read the public keys (publishLeadMs), `next`
 *      becomes the signing key and the old key is marked retiredAt.
 *   3. prune: a retired public key is removed once every token it signed has expired
 *      (retireAfterMs after retiredAt).
 * Writes go public keys first, then the signing key, so a kid is never used before it is published.
 */

/** How long the functions keep key material before re-reading it. */
export const FUNCTION_KEY_CACHE_SECONDS = KEY_CACHE_MS / 1000;
/** Clock skew jsonwebtoken verification allows (docs/security.md). */
const CLOCK_SKEW_SECONDS = 30;
/** Slack on top of every wait, so a schedule that fires a little early changes nothing. */
const MARGIN_SECONDS = 300;

export interface RotationPolicy {
  /** Start a rotation once the signing key is this old. */
  rotateAfterMs: number;
  /** Wait between publishing a public key and signing with its private key. */
  publishLeadMs: number;
  /** Keep a retired public key this long: every token it signed has expired by then. */
  retireAfterMs: number;
}

export function rotationPolicy(settings: { accessTokenTtlSeconds: number; rotationDays: number }): RotationPolicy {
  return {
    rotateAfterMs: settings.rotationDays * 86_400_000,
    publishLeadMs: (FUNCTION_KEY_CACHE_SECONDS + MARGIN_SECONDS) * 1000,
    // A warm function may go on signing with the old key for one key-cache period after the switch.
    retireAfterMs: (settings.accessTokenTtlSeconds + FUNCTION_KEY_CACHE_SECONDS + CLOCK_SKEW_SECONDS + MARGIN_SECONDS) * 1000,
  };
}

const kid = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const privateKeyPem = z.string().refine(isP256PrivateKey, 'not a P-256 private key');
const publicKeyPem = z.string().refine(isP256PublicKey, 'not a P-256 public key');
const isoTime = z.iso.datetime();

const signingKeySchema = z.object({
  kid,
  privateKey: privateKeyPem,
  createdAt: isoTime.optional(),
  next: z.object({ kid, privateKey: privateKeyPem }).optional(),
});
const publicKeyEntrySchema = z.object({ kid, publicKey: publicKeyPem, createdAt: isoTime.optional(), retiredAt: isoTime.optional() });

export type SigningKeyDocument = z.infer<typeof signingKeySchema> & { createdAt: string };
export type PublicKeyEntry = z.infer<typeof publicKeyEntrySchema> & { createdAt: string };

/** The secrets' current strings (undefined when a secret has no value yet). */
export interface StoredKeys {
  signingKey?: string;
  publicKeys?: string;
  refreshKey?: string;
  mfaKey?: string;
}

/** The strings to write back; a secret that needs no change is absent. */
export type KeyWrites = StoredKeys;

export interface KeyPair {
  kid: string;
  privateKey: string;
  publicKey: string;
}

export interface MaintenanceInput {
  stored: StoredKeys;
  now: Date;
  policy: RotationPolicy;
  /** Start a rotation now, whatever the signing key's age (the documented manual command). */
  rotateNow: boolean;
  generateKeyPair: () => KeyPair;
  generateRefreshKey: () => string;
  generateMfaKey: () => string;
  /**
   * Keys that existed before (the key manager's record in the table says so). Such a key found
   * missing or invalid is never made anew: a new refresh key would end every session, a new
   * MFA key would leave every stored TOTP secret unreadable. It is refused instead.
   */
  existed?: { refreshKey?: boolean; mfaKey?: boolean };
}

/** The keys that must never be replaced by a fresh one once they existed. */
export type GuardedKey = 'refreshKey' | 'mfaKey';

export interface MaintenanceResult {
  writes: KeyWrites;
  /** What happened, by kid only: safe to log. */
  events: string[];
  /** Guarded keys found missing although they existed: nothing was written for them. */
  refused: GuardedKey[];
}

export function planKeyMaintenance(input: MaintenanceInput): MaintenanceResult {
  const { now, policy } = input;
  const nowIso = now.toISOString();
  const at = (iso: string) => Date.parse(iso);
  const events: string[] = [];

  let publicKeys = parsePublicKeys(input.stored.publicKeys, nowIso);
  const publish = (pair: { kid: string; publicKey: string }) => {
    publicKeys = [...publicKeys.filter((entry) => entry.kid !== pair.kid), { kid: pair.kid, publicKey: pair.publicKey, createdAt: nowIso }];
  };
  const published = (keyId: string) => publicKeys.find((entry) => entry.kid === keyId);

  let signing = parseSigningKey(input.stored.signingKey, nowIso);
  if (!signing) {
    const pair = input.generateKeyPair();
    signing = { kid: pair.kid, privateKey: pair.privateKey, createdAt: nowIso };
    publish(pair);
    events.push(`created signing key ${pair.kid}`);
  }
  // Repairs: the signing key and a waiting key must be published (a lost write is redone here).
  if (!published(signing.kid)) {
    publish({ kid: signing.kid, publicKey: publicKeyOf(signing.privateKey) });
    events.push(`published missing public key ${signing.kid}`);
  }
  if (signing.next && !published(signing.next.kid)) {
    publish({ kid: signing.next.kid, publicKey: publicKeyOf(signing.next.privateKey) });
    events.push(`published next key ${signing.next.kid}`);
  }

  const waiting = signing.next ? published(signing.next.kid) : undefined;
  if (signing.next && waiting && at(waiting.createdAt) + policy.publishLeadMs <= now.getTime()) {
    events.push(`switched signing key ${signing.kid} -> ${signing.next.kid}`);
    signing = { kid: signing.next.kid, privateKey: signing.next.privateKey, createdAt: nowIso };
  } else if (!signing.next && (input.rotateNow || at(signing.createdAt) + policy.rotateAfterMs <= now.getTime())) {
    const pair = input.generateKeyPair();
    signing = { ...signing, next: { kid: pair.kid, privateKey: pair.privateKey } };
    publish(pair);
    events.push(`published next key ${pair.kid}`);
  }

  const live = new Set([signing.kid, signing.next?.kid]);
  publicKeys = publicKeys
    .map((entry) => {
      if (live.has(entry.kid)) return withoutRetiredAt(entry);
      return entry.retiredAt ? entry : { ...entry, retiredAt: nowIso };
    })
    .filter((entry) => {
      const expired = entry.retiredAt !== undefined && at(entry.retiredAt) + policy.retireAfterMs <= now.getTime();
      if (expired) events.push(`removed retired public key ${entry.kid}`);
      return !expired;
    });

  const writes: KeyWrites = {};
  const publicKeysJson = JSON.stringify({ keys: publicKeys });
  if (publicKeysJson !== input.stored.publicKeys) writes.publicKeys = publicKeysJson;
  const signingJson = JSON.stringify(signing);
  if (signingJson !== input.stored.signingKey) writes.signingKey = signingJson;
  const refused: GuardedKey[] = [];
  // Created once and never replaced: a new refresh key ends every session, a new MFA key makes
  // every stored TOTP secret unreadable. One that existed and is gone is refused, not remade.
  const guarded = [
    ['refreshKey', isRefreshKey, input.generateRefreshKey, 'refresh token key'],
    ['mfaKey', isAesKey, input.generateMfaKey, 'MFA key'],
  ] as const;
  for (const [name, isValid, generate, label] of guarded) {
    if (isValid(input.stored[name])) continue;
    if (input.existed?.[name]) {
      refused.push(name);
      events.push(`refused to replace the ${label}: it existed and is missing now`);
      continue;
    }
    writes[name] = generate();
    events.push(`created ${label}`);
  }
  return { writes, events, refused };
}

/** A short fingerprint of a key (SHA-256, 16 hex digits): tells keys apart, reveals nothing. */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key.trim()).digest('hex').slice(0, 16);
}

/** Whether a secret's value is a usable key of that kind. */
export const isGuardedKeyValid: Record<GuardedKey, (raw: string | undefined) => boolean> = {
  refreshKey: (raw) => isRefreshKey(raw),
  mfaKey: (raw) => isAesKey(raw),
};

function parseSigningKey(raw: string | undefined, nowIso: string): SigningKeyDocument | undefined {
  const parsed = signingKeySchema.safeParse(parseJson(raw));
  if (!parsed.success) return undefined;
  // A key put there by hand has no age: count it from now rather than rotate it at once.
  return { ...parsed.data, createdAt: parsed.data.createdAt ?? nowIso };
}

/** The valid entries of the public keys secret; malformed entries are dropped. */
function parsePublicKeys(raw: string | undefined, nowIso: string): PublicKeyEntry[] {
  const json = parseJson(raw);
  const keys = typeof json === 'object' && json !== null && Array.isArray((json as { keys?: unknown }).keys) ? (json as { keys: unknown[] }).keys : [];
  return keys.flatMap((key) => {
    const parsed = publicKeyEntrySchema.safeParse(key);
    return parsed.success ? [{ ...parsed.data, createdAt: parsed.data.createdAt ?? nowIso }] : [];
  });
}

function withoutRetiredAt(entry: PublicKeyEntry): PublicKeyEntry {
  const { retiredAt: _retiredAt, ...rest } = entry;
  return rest;
}

function parseJson(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function isP256PrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

function isP256PublicKey(pem: string): boolean {
  try {
    return createPublicKey(pem).asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

function isAesKey(raw: string | undefined): boolean {
  return raw !== undefined && /^[A-Za-z0-9_-]+$/.test(raw.trim()) && Buffer.from(raw.trim(), 'base64url').length === 32;
}

function isRefreshKey(raw: string | undefined): boolean {
  return raw !== undefined && /^[A-Za-z0-9_-]+$/.test(raw.trim()) && Buffer.from(raw.trim(), 'base64url').length >= 32;
}
