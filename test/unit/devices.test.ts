import { describe, expect, it } from 'vitest';
import { devicesToEvict, isTrustedDevice, MAX_DEVICES_PER_ACCOUNT } from '../../shared/auth/devices';
import type { DeviceRecord } from '../../shared/stores';

const now = Date.UTC(2026, 11, 3);
const YEAR = 365 * 86_400_000;
const alice = { id: 'user-alice', credentialsVersion: 2 };

function device(id: string, overrides: Partial<DeviceRecord> = {}): DeviceRecord {
  return { id, userId: alice.id, createdAt: now - 60_000, credentialsVersion: 2, expiresAt: now + YEAR, ...overrides };
}

describe('device trust', () => {
  it('trusts a device recorded for the account at its current credentials, before its cookie ends', () => {
    expect(isTrustedDevice(device('d1'), alice, now)).toBe(true);
  });

  it.each([
    ['no record (never recorded, revoked, evicted, or its account deleted)', undefined],
    ['recorded before a reset, password change or email change', device('d1', { credentialsVersion: 1 })],
    ['recorded for another account', device('d1', { userId: 'user-bob' })],
    ['past the end of its cookie', device('d1', { expiresAt: now })],
  ])('does not trust a device with %s', (_case, record) => {
    expect(isTrustedDevice(record, alice, now)).toBe(false);
  });

  it('counts an account that never changed its credentials as version 0', () => {
    expect(isTrustedDevice(device('d1', { credentialsVersion: 0 }), { id: alice.id }, now)).toBe(true);
  });
});

describe('the cap on devices per account', () => {
  it(`keeps the newest ${MAX_DEVICES_PER_ACCOUNT} trusted devices and evicts the older ones`, () => {
    const devices = Array.from({ length: MAX_DEVICES_PER_ACCOUNT + 3 }, (_, i) => device(`d${String(i).padStart(2, '0')}`, { createdAt: now - i * 1000 }));

    const evicted = devicesToEvict(devices, alice, now);

    expect(evicted.map((d) => d.id)).toEqual([`d${MAX_DEVICES_PER_ACCOUNT}`, `d${MAX_DEVICES_PER_ACCOUNT + 1}`, `d${MAX_DEVICES_PER_ACCOUNT + 2}`]);
  });

  it('evicts nothing at the cap', () => {
    const devices = Array.from({ length: MAX_DEVICES_PER_ACCOUNT }, (_, i) => device(`d${i}`, { createdAt: now - i }));

    expect(devicesToEvict(devices, alice, now)).toEqual([]);
  });

  it('always forgets devices that are no longer trusted, and they do not count towards the cap', () => {
    const stale = device('stale', { credentialsVersion: 1 });
    const expired = device('expired', { expiresAt: now - 1 });
    const fresh = Array.from({ length: MAX_DEVICES_PER_ACCOUNT }, (_, i) => device(`d${i}`, { createdAt: now - i }));

    expect(devicesToEvict([stale, ...fresh, expired], alice, now).map((d) => d.id)).toEqual(['stale', 'expired']);
  });
});
