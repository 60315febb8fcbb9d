import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../../shared/passwords';

describe('password hashing', () => {
  it('stores a self-describing scrypt hash with a 16-byte salt, never the password', async () => {
    const hash = await hashPassword('correct horse battery');

    expect(hash).toMatch(/^scrypt\$N=1024,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/);
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

  it('treats Unicode look-alike forms of the same password as equal (NFKC)', async () => {
    const hash = await hashPassword('ﬁsh and chips');

    expect(await verifyPassword('fish and chips', hash)).toBe(true);
  });

  it('refuses every password when there is no stored hash (unknown user), after doing the same work', async () => {
    expect(await verifyPassword('anything at all', undefined)).toBe(false);
    expect(await verifyPassword('', undefined)).toBe(false);
  });

  it('refuses a corrupted stored hash instead of throwing', async () => {
    expect(await verifyPassword('whatever', 'md5$abc')).toBe(false);
  });

  it('asks for a rehash when the stored cost differs from the configured one', async () => {
    const current = await hashPassword('some password');

    expect(needsRehash(current)).toBe(false);
    expect(needsRehash(current.replace('N=1024', 'N=512'))).toBe(true);
  });

  it('uses the OWASP cost N=2^17, r=8, p=1 by default', async () => {
    const { configSchema } = await import('../../shared/config');

    expect(configSchema.parse({ TABLE_NAME: 't' }).SCRYPT_N).toBe(131_072);
  });
});
