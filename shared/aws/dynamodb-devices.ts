import type { DeviceRecord } from '../stores';

/**
 * Devices live on their user's item, one attribute each: `device#<deviceId>`, a map of the
 * device's record. Every sign-in reads the user item anyway, so its devices (trust of a device
 * cookie, which to evict beyond the cap, the session list's devices) come with that read; and a
 * sign-in from a new browser records it, and forgets the evicted ones, in the same update that
 * records its session on the user. A deleted account takes its devices with it.
 *
 * One attribute per device rather than one map attribute of all of them: `SET #device = :record`
 * works on a user item that has no device yet (a nested path needs its parent to exist), and
 * adding one device never touches another.
 *
 * Each record is at most about 350 bytes (a 256-character User-Agent at most), so the cap of 20
 * devices keeps a user item under 8 KB (docs/architecture.md says what that costs).
 */
const DEVICE_ATTRIBUTE_PREFIX = 'device#';

export const deviceAttribute = (deviceId: string) => `${DEVICE_ATTRIBUTE_PREFIX}${deviceId}`;

function deviceFromValue(userId: string, id: string, value: Record<string, unknown>): DeviceRecord | undefined {
  if (typeof value.createdAt !== 'number' || typeof value.credentialsVersion !== 'number' || typeof value.expiresAt !== 'number') return undefined;
  return {
    id,
    userId,
    createdAt: value.createdAt,
    credentialsVersion: value.credentialsVersion,
    expiresAt: value.expiresAt,
    ...(typeof value.userAgent === 'string' ? { userAgent: value.userAgent } : {}),
    ...(typeof value.ipAddress === 'string' ? { ipAddress: value.ipAddress } : {}),
  };
}

/** The device's record as stored in its attribute (the user and the id are the item's and the attribute's). */
export function deviceValue(device: DeviceRecord): Record<string, unknown> {
  return {
    createdAt: device.createdAt,
    credentialsVersion: device.credentialsVersion,
    expiresAt: device.expiresAt,
    ...(device.userAgent !== undefined ? { userAgent: device.userAgent } : {}),
    ...(device.ipAddress !== undefined ? { ipAddress: device.ipAddress } : {}),
  };
}

/** Every device recorded on a user item, oldest first. */
export function devicesOfUserItem(item: Record<string, unknown>): DeviceRecord[] {
  const userId = item.id as string;
  return Object.entries(item)
    .flatMap(([name, value]) =>
      name.startsWith(DEVICE_ATTRIBUTE_PREFIX) && value !== null && typeof value === 'object'
        ? (deviceFromValue(userId, name.slice(DEVICE_ATTRIBUTE_PREFIX.length), value as Record<string, unknown>) ?? [])
        : [],
    )
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** The user item's attributes for `devices`, for a user item written whole (an account's creation). */
export function deviceAttributes(devices: readonly DeviceRecord[] = []): Record<string, unknown> {
  return Object.fromEntries(devices.map((device) => [deviceAttribute(device.id), deviceValue(device)]));
}

/**
 * The clauses of a user item's update that record `added` and forget `forgotten` (ids), with
 * their placeholders: to join an UpdateExpression that sets and removes nothing else.
 */
export function deviceChanges(added: DeviceRecord | undefined, forgotten: readonly string[] = []): { set?: string; remove?: string; names: Record<string, string>; values: Record<string, unknown> } {
  // A path both set and removed fails the whole update: the new device is never among the forgotten.
  const gone = [...new Set(forgotten)].filter((id) => id !== added?.id);
  const removed = Object.fromEntries(gone.map((id, i) => [`#forgetDevice${i}`, deviceAttribute(id)]));
  return {
    ...(added ? { set: '#newDevice = :newDevice' } : {}),
    ...(gone.length ? { remove: Object.keys(removed).join(', ') } : {}),
    names: { ...removed, ...(added ? { '#newDevice': deviceAttribute(added.id) } : {}) },
    values: added ? { ':newDevice': deviceValue(added) } : {},
  };
}
