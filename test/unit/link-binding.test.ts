import { describe, expect, it } from 'vitest';
import { linkStillBinds } from '../../shared/auth/email-confirmation';

/** An email-change link for e1 → e2, made while the account was at credentialsVersion 3. */
const link = { oldEmail: 'e1@example.com', credentialsVersion: 3 };

describe('an email-change link is bound to the account state it was made for', () => {
  it('binds while the account still has the old address and the same credentialsVersion', () => {
    expect(linkStillBinds(link, { email: 'e1@example.com', credentialsVersion: 3 })).toBe(true);
  });

  it('dies with a reset or password change (the address unchanged, the version raised)', () => {
    expect(linkStillBinds(link, { email: 'e1@example.com', credentialsVersion: 4 })).toBe(false);
  });

  it('stays dead after the address went e1 → e3 → e1 (two email changes raised the version twice)', () => {
    expect(linkStillBinds(link, { email: 'e1@example.com', credentialsVersion: 5 })).toBe(false);
  });

  it('dies once the account moved to another address', () => {
    expect(linkStillBinds(link, { email: 'e3@example.com', credentialsVersion: 3 })).toBe(false);
  });

  it('counts an account that never changed its credentials as version 0', () => {
    expect(linkStillBinds({ oldEmail: 'e1@example.com', credentialsVersion: 0 }, { email: 'e1@example.com' })).toBe(true);
  });
});
