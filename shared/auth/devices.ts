import { ApiError } from '../errors';
import { logger } from '../observability';
import type { DeviceRecord, UserRecord } from '../stores';
import { DEVICE_TOKEN_LIFETIME_SECONDS, issueDeviceToken, newDeviceId } from '../tokens/device-token';
import type { AuthContext } from './context';
import type { SessionClient } from './session-client';

/**
 * Devices (browsers holding a device cookie) as the server remembers them. A device cookie is
 * trusted, and gets its own login and second-factor counters, only while its record exists on
 * its account with the account's current credentialsVersion: a password reset, password change or
 * email change ends the trust of every device at once, a deletion takes the account with it, and
 * the owner can revoke one device from the session list. At most MAX_DEVICES_PER_ACCOUNT are kept:
 * a new one evicts the oldest, so minting cookies (each login from a new browser) buys an attacker
 * no growing pool of trusted counters. The records live on the user item
 * (shared/aws/dynamodb-devices.ts): they are read with the account and written with the session.
 */
export const MAX_DEVICES_PER_ACCOUNT = 20;

/** Whether a device record still vouches for its cookie at `now`. */
export function isTrustedDevice(device: DeviceRecord | undefined, user: Pick<UserRecord, 'id' | 'credentialsVersion'>, now: number): device is DeviceRecord {
  return device !== undefined && device.userId === user.id && device.credentialsVersion === (user.credentialsVersion ?? 0) && device.expiresAt > now;
}

/** Which of `devices` to forget so that at most `max` trusted ones remain: every untrusted one, then the oldest. */
export function devicesToEvict(devices: readonly DeviceRecord[], user: Pick<UserRecord, 'id' | 'credentialsVersion'>, now: number, max = MAX_DEVICES_PER_ACCOUNT): DeviceRecord[] {
  const trusted = devices.filter((device) => isTrustedDevice(device, user, now)).sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
  return [...devices.filter((device) => !isTrustedDevice(device, user, now)), ...trusted.slice(max)];
}

/** A new device of `user` signing in now from `client`. */
export function newDevice(ctx: AuthContext, user: Pick<UserRecord, 'id' | 'credentialsVersion'>, client: SessionClient = {}): DeviceRecord {
  const now = ctx.now();
  return { ...client, id: newDeviceId(), userId: user.id, createdAt: now, credentialsVersion: user.credentialsVersion ?? 0, expiresAt: now + DEVICE_TOKEN_LIFETIME_SECONDS * 1000 };
}

/** The ids of the devices to forget once `device` joins `listed` (the account's recorded devices), so the cap holds. */
export function evictedFor(device: DeviceRecord, listed: readonly DeviceRecord[], user: Pick<UserRecord, 'id' | 'credentialsVersion'>, now: number): string[] {
  return devicesToEvict([...listed.filter((other) => other.id !== device.id), device], user, now).map((old) => old.id);
}

/**
 * What a sign-in from a browser without a trusted cookie writes beside its session (see
 * SessionStart): the browser as a new device of `user`, and the devices it evicts. The devices
 * come with the account's read (they are recorded on the user item), so this costs no call.
 */
export function newDeviceOf(ctx: AuthContext, user: UserRecord, client: SessionClient = {}): { newDevice: DeviceRecord; forgetDevices: string[] } {
  const device = newDevice(ctx, user, client);
  return { newDevice: device, forgetDevices: evictedFor(device, user.devices ?? [], user, device.createdAt) };
}

/** The device's cookie value. */
export function deviceCookieOf(device: DeviceRecord): Promise<string> {
  return issueDeviceToken(device.userId, device.createdAt, device.id);
}

/** A device as the caller's session list shows it. */
export interface DeviceView {
  id: string;
  /** ISO 8601. */
  createdAt: string;
  userAgent: string | null;
  ipAddress: string | null;
}

/** The devices the account trusts now, newest first. */
export function listTrustedDevices(user: UserRecord, now: number): DeviceView[] {
  return (user.devices ?? [])
    .filter((device) => isTrustedDevice(device, user, now))
    .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
    .map((device) => ({ id: device.id, createdAt: new Date(device.createdAt).toISOString(), userAgent: device.userAgent ?? null, ipAddress: device.ipAddress ?? null }));
}

/** Forgets one device of the user: its cookie is no longer trusted. Unknown ids are 404 not_found. */
export async function forgetDevice(ctx: AuthContext, userId: string, deviceId: string): Promise<void> {
  if (!(await ctx.users.forgetDevice(userId, deviceId))) throw new ApiError('not_found');
  logger.info('device revoked', { userId });
}
