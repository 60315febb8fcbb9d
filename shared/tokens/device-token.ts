import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { fromRefreshTokenKey } from '../keys';

/**
 * Device tokens (OWASP's device-cookie scheme): proof that this browser once signed in as this
 * user. Format: dv1.<userId>.<deviceId>.<expires, epoch seconds>.<base64url HMAC-SHA256>
 *
 * The HMAC key is derived from the refresh-token key with HKDF under its own label: no extra
 * secret to provision or rotate, and a MAC of one kind can never pass as the other. Rotating the
 * refresh-token key therefore also retires every device cookie (they are then ignored, as if
 * absent), which is harmless: the next successful login sets a new one.
 */
const PREFIX = 'dv1';
const HKDF_LABEL = 'serverless-auth device cookie v1';
const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
export const DEVICE_TOKEN_LIFETIME_SECONDS = 365 * 24 * 60 * 60;

export interface DeviceClaims {
  userId: string;
  deviceId: string;
}

/** Derived once per loaded refresh key: a reloaded (rotated) key derives a new device key. */
const deviceKey = fromRefreshTokenKey((refreshKey) => Buffer.from(hkdfSync('sha256', refreshKey, Buffer.alloc(0), HKDF_LABEL, 32)));

function mac(key: Buffer, userId: string, deviceId: string, expires: number): Buffer {
  return createHmac('sha256', key).update(`device:${userId}:${deviceId}:${expires}`).digest();
}

/** A fresh device id: 128 random bits, base64url (22 characters). */
export const newDeviceId = () => randomBytes(16).toString('base64url');

/**
 * A token for the device `deviceId` (a new one by default) of `userId`, valid for a year from
 * `now` (epoch milliseconds). Login records the device server-side first (shared/auth/devices.ts):
 * the token alone proves nothing the server does not also remember.
 */
export async function issueDeviceToken(userId: string, now: number, deviceId = newDeviceId()): Promise<string> {
  if (!idPattern.test(userId) || !idPattern.test(deviceId)) throw new Error('user id not fit for a device token');
  const expires = Math.floor(now / 1000) + DEVICE_TOKEN_LIFETIME_SECONDS;
  return `${PREFIX}.${userId}.${deviceId}.${expires}.${mac(await deviceKey(), userId, deviceId, expires).toString('base64url')}`;
}

/** Who the token names, or undefined when it is malformed, tampered, expired or signed with another key. */
export async function readDeviceToken(token: string | undefined, now: number): Promise<DeviceClaims | undefined> {
  if (!token || token.length > 300) return undefined;
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== PREFIX) return undefined;
  const [, userId, deviceId, expiresText, signature] = parts as [string, string, string, string, string];
  if (!idPattern.test(userId) || !idPattern.test(deviceId) || !/^[1-9]\d{0,11}$/.test(expiresText)) return undefined;
  const expires = Number(expiresText);
  // Compared as text in its one canonical encoding: base64url's last character carries spare bits,
  // and a decoder would take a token that differs only in those for the one we issued.
  const expected = Buffer.from(mac(await deviceKey(), userId, deviceId, expires).toString('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  if (expires * 1000 <= now) return undefined;
  return { userId, deviceId };
}
