import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptTotpSecret, encryptTotpSecret } from '../../shared/auth/mfa-crypto';
import { generateRecoveryCodes, hashRecoveryCode, RECOVERY_CODE_COUNT } from '../../shared/auth/recovery-codes';
import { codeAt, matchingStep, newTotpSecret, otpauthUri, timeStep } from '../../shared/auth/totp';

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" in base32, and its 8-digit vectors.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const userId = 'user-alice';
const now = Date.UTC(2026, 10, 28, 12, 0, 10);
const STEP = 30_000;

describe('TOTP codes', () => {
  it('match the RFC 6238 SHA-1 test vectors (last six digits)', () => {
    expect(codeAt(RFC_SECRET, 59_000)).toBe('287082');
    expect(codeAt(RFC_SECRET, 1_111_111_109_000)).toBe('081804');
    expect(codeAt(RFC_SECRET, 2_000_000_000_000)).toBe('279037');
  });

  it('accept the code of the current step and of one step either side, naming that step', () => {
    const secret = newTotpSecret();

    expect(matchingStep(secret, codeAt(secret, now), now)).toBe(timeStep(now));
    expect(matchingStep(secret, codeAt(secret, now - STEP), now)).toBe(timeStep(now) - 1);
    expect(matchingStep(secret, codeAt(secret, now + STEP), now)).toBe(timeStep(now) + 1);
  });

  it('refuse codes two steps away, of another secret, or not six digits', () => {
    const secret = newTotpSecret();

    expect(matchingStep(secret, codeAt(secret, now - 2 * STEP), now)).toBeUndefined();
    expect(matchingStep(secret, codeAt(secret, now + 2 * STEP), now)).toBeUndefined();
    expect(matchingStep(secret, codeAt(newTotpSecret(), now), now)).toBeUndefined();
    for (const malformed of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(matchingStep(secret, malformed, now)).toBeUndefined();
  });

  it('come from 160-bit secrets, a new one each time', () => {
    const secret = newTotpSecret();

    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
  });

  it('are offered to authenticator apps as an otpauth URI with issuer, account, SHA-1, 6 digits and 30 s', () => {
    const raw = otpauthUri(RFC_SECRET, 'Serverless Auth', 'alice@example.com');
    const uri = new URL(raw);

    expect(decodeURIComponent(raw.split('?')[0]!)).toBe('otpauth://totp/Serverless Auth:alice@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: RFC_SECRET, issuer: 'Serverless Auth', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});

describe('TOTP secret encryption', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV each time so equal secrets do not look equal', async () => {
    const first = await encryptTotpSecret(userId, RFC_SECRET, key);
    const second = await encryptTotpSecret(userId, RFC_SECRET, key);

    expect(await decryptTotpSecret(userId, first, key)).toBe(RFC_SECRET);
    expect(first).not.toBe(second);
    expect(first).not.toContain(RFC_SECRET);
  });

  it('refuses a tampered ciphertext, another user, another key and a malformed value', async () => {
    const stored = await encryptTotpSecret(userId, RFC_SECRET, key);
    const [version, iv, ciphertext, tag] = stored.split('.');
    const flipped = Buffer.from(ciphertext!, 'base64url');
    flipped[0]! ^= 1;

    await expect(decryptTotpSecret(userId, [version, iv, flipped.toString('base64url'), tag].join('.'), key)).rejects.toThrow();
    await expect(decryptTotpSecret('user-mallory', stored, key)).rejects.toThrow();
    await expect(decryptTotpSecret(userId, stored, randomBytes(32))).rejects.toThrow();
    await expect(decryptTotpSecret(userId, 'v1.not-enough', key)).rejects.toThrow();
  });

  it('uses the configured MFA key when none is given', async () => {
    expect(await decryptTotpSecret(userId, await encryptTotpSecret(userId, RFC_SECRET))).toBe(RFC_SECRET);
  });
});

describe('recovery codes', () => {
  it('come ten at a time, each 10 base32 characters (50 bits) in two groups, all different', () => {
    const codes = generateRecoveryCodes();

    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
  });

  it('hash the same whatever the case, spacing, dashes or look-alike letters, and differently per user', () => {
    const code = '7kq3m-x9d20';

    const hash = hashRecoveryCode(userId, code);

    expect(hash).toMatch(/^[\w-]{43}$/);
    expect(hash).not.toContain('7kq3m');
    for (const typed of ['7KQ3M-X9D20', '7kq3m x9d20', '7kq3mx9d2o', ' 7kq3m-x9d2O ']) expect(hashRecoveryCode(userId, typed)).toBe(hash);
    expect(hashRecoveryCode('user-bob', code)).not.toBe(hash);
    expect(hashRecoveryCode(userId, '7kq3m-x9d21')).not.toBe(hash);
  });

  it('are not hashed at all when they cannot be a recovery code', () => {
    for (const input of ['', '123456', '7kq3m-x9d2', '7kq3m-x9d20a', '7kq3u-x9d20']) expect(hashRecoveryCode(userId, input)).toBeUndefined();
  });
});
