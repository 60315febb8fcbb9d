import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { resetConfig } from '../../shared/config';
import { resetKeyCache } from '../../shared/keys';
import { DEVICE_TOKEN_LIFETIME_SECONDS, issueDeviceToken, readDeviceToken } from '../../shared/tokens/device-token';
import { deriveRefreshToken } from '../../shared/tokens/refresh-token';

const now = Date.UTC(2026, 10, 28);
const userId = '0b7f7a58-93f4-4c52-9d47-0d1b1f0c9a11';

/** Flips one character of the signature, keeping it valid base64url. */
function tamperSignature(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

describe('device token', () => {
  it('names the user and a fresh random device id', async () => {
    const first = await readDeviceToken(await issueDeviceToken(userId, now), now);
    const second = await readDeviceToken(await issueDeviceToken(userId, now), now);

    expect(first).toEqual({ userId, deviceId: expect.stringMatching(/^[\w-]{22}$/) });
    expect(second!.deviceId).not.toBe(first!.deviceId);
  });

  it('is ignored when its signature was tampered with', async () => {
    const token = await issueDeviceToken(userId, now);

    expect(await readDeviceToken(tamperSignature(token), now)).toBeUndefined();
  });

  it('is ignored when only the spare bits of its last character were changed', async () => {
    // Prepare: a 32-byte MAC is 43 base64url characters; the last one's two low bits carry nothing.
    const token = await issueDeviceToken(userId, now);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1)!);
    const sameBytes = `${token.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(sameBytes.split('.')[4]!, 'base64url')).toEqual(Buffer.from(token.split('.')[4]!, 'base64url'));

    // Act
    const claims = await readDeviceToken(sameBytes, now);

    // Assess
    expect(claims).toBeUndefined();
  });

  it("is ignored when it was rewritten to name another user or device", async () => {
    const [prefix, , deviceId, expires, signature] = (await issueDeviceToken(userId, now)).split('.');

    expect(await readDeviceToken([prefix, 'another-user', deviceId, expires, signature].join('.'), now)).toBeUndefined();
    expect(await readDeviceToken([prefix, userId, 'another-device', expires, signature].join('.'), now)).toBeUndefined();
  });

  it('is ignored when its lifetime was extended by hand', async () => {
    const [prefix, user, deviceId, expires, signature] = (await issueDeviceToken(userId, now)).split('.');

    expect(await readDeviceToken([prefix, user, deviceId, Number(expires) + 86_400, signature].join('.'), now)).toBeUndefined();
  });

  it('is valid for a year and ignored once expired', async () => {
    const token = await issueDeviceToken(userId, now);

    expect(await readDeviceToken(token, now + (DEVICE_TOKEN_LIFETIME_SECONDS - 1) * 1000)).toBeDefined();
    expect(await readDeviceToken(token, now + DEVICE_TOKEN_LIFETIME_SECONDS * 1000)).toBeUndefined();
  });

  it('is ignored when it was signed with another secret', async () => {
    const token = await issueDeviceToken(userId, now);
    vi.stubEnv('REFRESH_TOKEN_KEY', randomBytes(32).toString('base64url'));
    resetConfig();
    resetKeyCache();

    expect(await readDeviceToken(token, now)).toBeUndefined();
  });

  it('is signed with a key of its own, so a refresh-token signature never passes as a device signature', async () => {
    const refreshSignature = (await deriveRefreshToken('AAAAAAAAAAAAAAAAAAAAAA', 0)).split('.')[3];
    const [prefix, , deviceId, expires] = (await issueDeviceToken(userId, now)).split('.');

    expect(await readDeviceToken([prefix, userId, deviceId, expires, refreshSignature].join('.'), now)).toBeUndefined();
  });

  it('ignores malformed values', async () => {
    for (const value of [undefined, '', 'dv1', 'dv1.a.b.c', 'rt1.a.b.1.sig', `dv1.${userId}.d.0.sig`, `dv1.${userId}.d;x.1.sig`, 'x'.repeat(400)]) {
      expect(await readDeviceToken(value, now)).toBeUndefined();
    }
  });
});
