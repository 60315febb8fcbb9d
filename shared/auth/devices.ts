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

/**
 * Records a new device of `user` signing in now and answers its cookie value. Eviction beyond
 * the cap is best effort: a failure leaves one device too many for the next sign-in to evict.
 */
export async function rememberDevice(ctx: AuthContext, user: Pick<UserRecord, 'id' | 'credentialsVersion'>, client: SessionClient = {}): Promise<string> {
  const now = ctx.now();
  const device: DeviceRecord = {
    ...client, id: newDeviceId(), userId: user.id, createdAt: now, credentialsVersion: user.credentialsVersion ?? 0, expiresAt: now + DEVICE_TOKEN_LIFETIME_SECONDS * 1000,
  };
  // The list is read alongside the write (one round trip less on the login's path); the new device joins it here.
  const [listed] = await settledTogether([
    ctx.devices.listOfUser(user.id).catch((error: unknown) => {
      logger.warn('device eviction skipped', { userId: user.id, error: String(error) });
      return [];
    }),
    ctx.devices.create(device),
  ]);
  const evicted = devicesToEvict([...listed.filter((other) => other.id !== device.id), device], user, now);
  await Promise.all(evicted.map((old) => ctx.devices.remove(user.id, old.id))).catch((error: unknown) => {
    logger.warn('device eviction failed', { userId: user.id, error: String(error) });
  });
  return issueDeviceToken(user.id, now, device.id);
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
