import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../../shared/passwords';

/** A hash as the first version stored it: scrypt N=1024 of the NFKC form of 'fish and chips 1'. */
const storedScryptHash = 'scrypt$N=1024,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$qY-8mv-aiNNZGA0cAfpV1uLorNHRknzYkQ2ehrQnfMk';

describe('password hashing', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stores a self-describing argon2id hash with a 16-byte salt, never the password', async () => {
    const hash = await hashPassword('correct horse battery');

    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[\w-]{22}\$[\w-]{43}$/);
    expect(hash).not.toContain('correct horse');
  });

  it('salts every hash, so equal passwords give different hashes', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery');

    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('refuses a hash whose stored key was tampered with', async () => {
    const hash = await hashPassword('correct horse battery');
    const tampered = hash.slice(0, -2) + (hash.endsWith('AA') ? 'AB' : 'AA');

    expect(await verifyPassword('correct horse battery', tampered)).toBe(false);
  });

  it('still accepts a password stored as a scrypt hash by the first version, and refuses a wrong one', async () => {
    expect(await verifyPassword('fish and chips 1', storedScryptHash)).toBe(true);
    expect(await verifyPassword('fish and chips 2', storedScryptHash)).toBe(false);
  });

  it('refuses every password when there is no stored hash (unknown user), after doing the same work', async () => {
    expect(await verifyPassword('anything at all', undefined)).toBe(false);
    expect(await verifyPassword('', undefined)).toBe(false);
  });

  it('hashes against a dummy argon2id of today’s cost for an unknown user, never a cheaper scrypt', async () => {
    const { default: crypto } = await import('node:crypto');
    const argon2 = vi.spyOn(crypto, 'argon2');
    const scrypt = vi.spyOn(crypto, 'scrypt');

    await verifyPassword('anything at all', undefined);

    expect(argon2).toHaveBeenCalledTimes(1);
    expect(argon2.mock.calls[0]![0]).toBe('argon2id');
    expect(argon2.mock.calls[0]![1]).toMatchObject({ memory: 1024, passes: 1, parallelism: 1, tagLength: 32 });
    expect(scrypt).not.toHaveBeenCalled();
  });

  it('refuses a corrupted stored hash instead of throwing', async () => {
    expect(await verifyPassword('whatever', 'md5$abc')).toBe(false);
  });

  it('asks for a rehash of every scrypt hash and of argon2id hashes of another cost', async () => {
    const current = await hashPassword('some password');

    expect(needsRehash(current)).toBe(false);
    expect(needsRehash(storedScryptHash)).toBe(true);
    expect(needsRehash(current.replace('m=1024', 'm=512'))).toBe(true);
    expect(needsRehash(current.replace('t=1', 't=3'))).toBe(true);
  });

  it('uses the OWASP cost m=19456 KiB, t=2, p=1 by default', async () => {
    const { configSchema } = await import('../../shared/config');

    expect(configSchema.parse({ TABLE_NAME: 't' })).toMatchObject({ ARGON2_MEMORY_KIB: 19_456, ARGON2_PASSES: 2 });
  });

  it('hashes with the production cost when none is configured', async () => {
    vi.stubEnv('ARGON2_MEMORY_KIB', undefined);
    vi.stubEnv('ARGON2_PASSES', undefined);
    const { resetConfig } = await import('../../shared/config');
    resetConfig();

    const hash = await hashPassword('correct horse battery');

    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
  });
});
