import { ApiError } from '../errors';
import { logger } from '../observability';
import type { DeviceRecord, UserRecord } from '../stores';
import { DEVICE_TOKEN_LIFETIME_SECONDS, issueDeviceToken, newDeviceId } from '../tokens/device-token';
import type { AuthContext } from './context';
import type { SessionClient } from './session-client';
import { settledTogether } from './settled-together';

/**
 * Devices (browsers holding a device cookie) as the server remembers them. A device cookie is
 * trusted, and gets its own login and second-factor counters, only while its record exists under
 * its account with the account's current credentialsVersion: a password reset, password change or
 * email change ends the trust of every device at once, a deletion takes the account with it, and
 * the owner can revoke one device from the session list. At most MAX_DEVICES_PER_ACCOUNT are kept:
 * a new one evicts the oldest, so minting cookies (each login from a new browser) buys an attacker
 * no growing pool of trusted counters.
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

/** The device's cookie value. */
export function deviceCookieOf(device: DeviceRecord): Promise<string> {
  return issueDeviceToken(device.userId, device.createdAt, device.id);
}

/**
 * The account's recorded devices, for eviction: a failure to list skips the eviction (one device
 * too many for the next sign-in to evict), it never fails the sign-in.
 */
export function listDevicesForEviction(ctx: AuthContext, userId: string): Promise<DeviceRecord[]> {
  return ctx.devices.listOfUser(userId).catch((error: unknown) => {
    logger.warn('device eviction skipped', { userId, error: String(error) });
    return [];
  });
}

/**
 * Records a new device of `user` signing in now and answers its cookie value. Eviction beyond
 * the cap is best effort: a failure leaves one device too many for the next sign-in to evict.
 * (A password login writes its device in the session's transaction instead: shared/auth/login.ts.)
 */
export async function rememberDevice(ctx: AuthContext, user: Pick<UserRecord, 'id' | 'credentialsVersion'>, client: SessionClient = {}): Promise<string> {
  const device = newDevice(ctx, user, client);
  // The list is read alongside the write (one round trip less on the sign-in's path); the new device joins it here.
  const [listed] = await settledTogether([listDevicesForEviction(ctx, user.id), ctx.devices.create(device)]);
  await Promise.all(evictedFor(device, listed, user, device.createdAt).map((id) => ctx.devices.remove(user.id, id))).catch((error: unknown) => {
    logger.warn('device eviction failed', { userId: user.id, error: String(error) });
  });
  return deviceCookieOf(device);
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
export async function listTrustedDevices(ctx: AuthContext, user: Pick<UserRecord, 'id' | 'credentialsVersion'>): Promise<DeviceView[]> {
  const now = ctx.now();
  return (await ctx.devices.listOfUser(user.id))
    .filter((device) => isTrustedDevice(device, user, now))
    .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
    .map((device) => ({ id: device.id, createdAt: new Date(device.createdAt).toISOString(), userAgent: device.userAgent ?? null, ipAddress: device.ipAddress ?? null }));
}

/** Forgets one device of the user: its cookie is no longer trusted. Unknown ids are 404 not_found. */
export async function forgetDevice(ctx: AuthContext, userId: string, deviceId: string): Promise<void> {
  if (!(await ctx.devices.remove(userId, deviceId))) throw new ApiError('not_found');
  logger.info('device revoked', { userId });
}

/** Forgets every device of the user (the account is gone). */
export async function forgetEveryDevice(ctx: AuthContext, userId: string): Promise<void> {
  const devices = await ctx.devices.listOfUser(userId);
  await Promise.all(devices.map((device) => ctx.devices.remove(userId, device.id)));
}
