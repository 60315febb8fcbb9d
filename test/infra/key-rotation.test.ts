import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { planKeyMaintenance, rotationPolicy, type StoredKeys } from '../../infra/keys/rotation';
import { resetConfig } from '../../shared/config';
import { generateMfaKey, generateRefreshTokenKey, generateSigningKeyPair } from '../../shared/keygen';
import { findPublicKey, getMfaKey, getRefreshTokenKey, getSigningKey, resetKeyCache } from '../../shared/keys';

const policy = rotationPolicy({ accessTokenTtlSeconds: 900, rotationDays: 90 });
const MINUTE = 60_000;
const DAY = 86_400_000;
const start = new Date('2030-01-01T00:00:00.000Z');
const later = (ms: number) => new Date(start.getTime() + ms);

let kidCounter = 0;
const generateKeyPair = () => generateSigningKeyPair(`kid-${++kidCounter}`);

/** One run of the key manager against `stored`; returns what the secrets hold afterwards. */
function run(stored: StoredKeys, now: Date, rotateNow = false) {
  const { writes, events } = planKeyMaintenance({ stored, now, policy, rotateNow, generateKeyPair, generateRefreshKey: generateRefreshTokenKey, generateMfaKey });
  const next = { ...stored, ...writes };
  return {
    stored: next,
    writes,
    events,
    signing: JSON.parse(next.signingKey!) as { kid: string; privateKey: string; next?: { kid: string } },
    publicKids: (JSON.parse(next.publicKeys!) as { keys: Array<{ kid: string; retiredAt?: string }> }).keys.map((k) => k.kid + (k.retiredAt ? ' (retired)' : '')),
  };
}

/** Secrets as they are right after the first deploy. */
const firstDeploy = () => run({ signingKey: 'placeholder-from-secrets-manager', publicKeys: 'x', refreshKey: 'y', mfaKey: 'z' }, start).stored;

afterEach(() => {
  delete process.env.TABLE_NAME;
  delete process.env.JWT_PRIVATE_KEY;
  delete process.env.JWT_PUBLIC_KEYS;
  delete process.env.REFRESH_TOKEN_KEY;
  delete process.env.MFA_SECRET_KEY;
  resetConfig();
  resetKeyCache();
});

describe('first deploy', () => {
  it('replaces the placeholders with a signing key, its public key, a refresh key and an MFA key', () => {
    // Act
    const result = run({ signingKey: 'k#3!pLaceholder', publicKeys: 'Zq9$placeholder', refreshKey: 'aB3%placeholder', mfaKey: 'x7&placeholder' }, start);

    // Assess
    expect(Object.keys(result.writes).sort()).toEqual(['mfaKey', 'publicKeys', 'refreshKey', 'signingKey']);
    expect(result.publicKids).toEqual([result.signing.kid]);
    expect(Buffer.from(result.stored.refreshKey!, 'base64url')).toHaveLength(32);
    expect(Buffer.from(result.stored.mfaKey!, 'base64url')).toHaveLength(32);
  });

  it('writes key material that shared/keys.ts reads, extra rotation fields and all', async () => {
    // Prepare
    const stored = firstDeploy();
    Object.assign(process.env, {
      TABLE_NAME: 't', JWT_PRIVATE_KEY: stored.signingKey, JWT_PUBLIC_KEYS: stored.publicKeys, REFRESH_TOKEN_KEY: stored.refreshKey, MFA_SECRET_KEY: stored.mfaKey,
    });

    // Act
    const signingKey = await getSigningKey();
    const publicKey = await findPublicKey(signingKey.kid);
    const refreshKey = await getRefreshTokenKey();
    const mfaKey = await getMfaKey();

    // Assess
    const signature = sign('sha256', Buffer.from('payload'), signingKey.privateKey);
    expect(verify('sha256', Buffer.from('payload'), publicKey!, signature)).toBe(true);
    expect(refreshKey).toHaveLength(32);
    expect(mfaKey).toHaveLength(32);
  });

  it('leaves valid keys alone on every later deploy', () => {
    // Prepare
    const stored = firstDeploy();

    // Act
    const result = run(stored, later(5 * MINUTE));

    // Assess
    expect(result.writes).toEqual({});
    expect(result.events).toEqual([]);
  });
});

describe('rotation', () => {
  it('publishes the next public key first and keeps signing with the current key', () => {
    // Prepare
    const stored = firstDeploy();
    const current = JSON.parse(stored.signingKey!).kid;

    // Act
    const result = run(stored, later(91 * DAY));

    // Assess
    expect(result.signing.kid).toBe(current);
    expect(result.signing.next?.kid).toBeDefined();
    expect(result.publicKids).toEqual([current, result.signing.next!.kid]);
  });

  it('does not start before the rotation period, unless asked to', () => {
    // Prepare
    const stored = firstDeploy();

    // Act
    const scheduled = run(stored, later(30 * DAY));
    const requested = run(stored, later(30 * DAY), true);

    // Assess
    expect(scheduled.signing.next).toBeUndefined();
    expect(requested.signing.next).toBeDefined();
  });

  it('switches to the next key only after every function has had time to re-read the public keys', () => {
    // Prepare
    const published = run(firstDeploy(), start, true);
    const [oldKid, newKid] = [published.signing.kid, published.signing.next!.kid];

    // Act
    const tooSoon = run(published.stored, later(5 * MINUTE));
    const inTime = run(published.stored, later(60 * MINUTE));

    // Assess
    expect(tooSoon.signing.kid).toBe(oldKid);
    expect(inTime.signing.kid).toBe(newKid);
    expect(inTime.signing.next).toBeUndefined();
    expect(inTime.publicKids).toEqual([`${oldKid} (retired)`, newKid]);
  });

  it('keeps the retired public key until every token it signed has expired, then removes it', () => {
    // Prepare
    const published = run(firstDeploy(), start, true);
    const switched = run(published.stored, later(60 * MINUTE));
    const newKid = switched.signing.kid;

    // Act
    const beforeExpiry = run(switched.stored, later(60 * MINUTE + 15 * MINUTE));
    const afterExpiry = run(switched.stored, later(60 * MINUTE + 15 * MINUTE + 11 * MINUTE));

    // Assess
    expect(beforeExpiry.publicKids).toHaveLength(2);
    expect(afterExpiry.publicKids).toEqual([newKid]);
    expect(afterExpiry.events).toContainEqual(expect.stringMatching(/^removed retired public key /));
  });

  it('republishes a waiting key whose public half was lost, and waits again before switching to it', () => {
    // Prepare
    const published = run(firstDeploy(), start, true);
    const current = published.signing.kid;
    const lostWrite = { ...published.stored, publicKeys: JSON.stringify({ keys: JSON.parse(published.stored.publicKeys!).keys.slice(0, 1) }) };

    // Act
    const repaired = run(lostWrite, later(60 * MINUTE));

    // Assess
    expect(repaired.signing.kid).toBe(current);
    expect(repaired.publicKids).toEqual([current, published.signing.next!.kid]);
  });

  it('never signs with a kid that is missing from the public keys', () => {
    // Prepare
    let stored = firstDeploy();

    // Act + Assess: 200 days of runs every 11 hours (two scheduled rotations), a manual rotation now and then
    for (let hour = 11; hour <= 24 * 200; hour += 11) {
      const result = run(stored, later(hour * 60 * MINUTE), hour % 37 === 0);
      expect(result.publicKids).toContain(result.signing.kid);
      const publicKeys = JSON.parse(result.stored.publicKeys!).keys as Array<{ kid: string; publicKey: string }>;
      const published = publicKeys.find((k) => k.kid === result.signing.kid)!;
      expect(createPublicKey(createPrivateKey(result.signing.privateKey)).export({ type: 'spki', format: 'pem' })).toBe(published.publicKey);
      stored = result.stored;
    }
  });
});

describe('keys that existed', () => {
  const plan = (stored: StoredKeys, existed: { refreshKey?: boolean; mfaKey?: boolean }) =>
    planKeyMaintenance({ stored, now: start, policy, rotateNow: false, generateKeyPair, generateRefreshKey: generateRefreshTokenKey, generateMfaKey, existed });

  it('refuses to make a new MFA or refresh key where one existed, writing neither, while the signing keys are still made', () => {
    // Act
    const result = plan({ signingKey: 'placeholder', publicKeys: 'x', refreshKey: 'y', mfaKey: 'z' }, { refreshKey: true, mfaKey: true });

    // Assess
    expect(result.refused).toEqual(['refreshKey', 'mfaKey']);
    expect(Object.keys(result.writes).sort()).toEqual(['publicKeys', 'signingKey']);
    expect(result.events).toContain('refused to replace the MFA key: it existed and is missing now');
  });

  it('keeps a valid key that existed, and creates only the one that never did', () => {
    // Prepare
    const stored = firstDeploy();

    // Act
    const result = plan({ ...stored, refreshKey: 'lost' }, { mfaKey: true });

    // Assess
    expect(result.refused).toEqual([]);
    expect(Object.keys(result.writes)).toEqual(['refreshKey']);
  });
});
