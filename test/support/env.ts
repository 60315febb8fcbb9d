import { afterEach, vi } from 'vitest';
import { resetConfig } from '../../shared/config';
import { resetKeyCache } from '../../shared/keys';
import { testEnvironment } from './keys';

/**
 * Unit and invoke tests run the real modules with this environment: a table name, fresh test
 * keys, and a cheap argon2id cost (the production cost is tested in test/unit/passwords.test.ts).
 */
Object.assign(process.env, testEnvironment);

afterEach(() => {
  vi.unstubAllEnvs();
  Object.assign(process.env, testEnvironment);
  resetConfig();
  resetKeyCache();
});
