import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    expect(parseConfig({ TABLE_NAME: 'auth' })).toMatchObject({
      ACCESS_TOKEN_TTL_SECONDS: 900,
      SESSION_IDLE_TIMEOUT_SECONDS: 1800,
      SESSION_MAX_AGE_SECONDS: 86_400,
      REFRESH_GRACE_SECONDS: 10,
      VERIFICATION_TOKEN_TTL_SECONDS: 86_400,
      COOKIE_SAMESITE: 'Strict',
      ALLOWED_ORIGINS: [],
      ARGON2_MEMORY_KIB: 19_456,
      ARGON2_PASSES: 2,
    });
  });

  it('fails naming the variable when a required one is missing', () => {
    expect(() => parseConfig({})).toThrow(/TABLE_NAME/);
  });

  it('fails naming the variable when a value is malformed', () => {
    expect(() => parseConfig({ TABLE_NAME: 't', ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(() => parseConfig({ TABLE_NAME: 't', COOKIE_SAMESITE: 'strictest' })).toThrow(/COOKIE_SAMESITE/);
    expect(() => parseConfig({ TABLE_NAME: 't', ARGON2_MEMORY_KIB: '4' })).toThrow(/ARGON2_MEMORY_KIB/);
    expect(() => parseConfig({ TABLE_NAME: 't', ARGON2_MEMORY_KIB: '19.5' })).toThrow(/ARGON2_MEMORY_KIB/);
    expect(() => parseConfig({ TABLE_NAME: 't', ARGON2_PASSES: '0' })).toThrow(/ARGON2_PASSES/);
    expect(() => parseConfig({ TABLE_NAME: 't', ALLOWED_ORIGINS: 'https://a.example.com/path' })).toThrow(/ALLOWED_ORIGINS/);
    expect(() => parseConfig({ TABLE_NAME: 't', ALLOWED_ORIGINS: '*' })).toThrow(/ALLOWED_ORIGINS/);
    expect(() => parseConfig({ TABLE_NAME: 't', ALLOWED_ORIGINS: 'ftp://files.example.com' })).toThrow(/ALLOWED_ORIGINS/);
  });

  it('reads the allowed origins as a comma-separated list', () => {
    expect(parseConfig({ TABLE_NAME: 't', ALLOWED_ORIGINS: 'https://a.example.com, http://localhost:3000' }).ALLOWED_ORIGINS).toEqual([
      'https://a.example.com',
      'http://localhost:3000',
    ]);
  });
});
