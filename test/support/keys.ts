import { generateKeyEnvironment } from '../../shared/keygen';

/** One set of test keys per worker, readable by tests that forge or inspect tokens. */
export const testKeys = generateKeyEnvironment();
export const signingKey = JSON.parse(testKeys.JWT_PRIVATE_KEY) as { kid: string; privateKey: string };
export const publicKeyPem = (JSON.parse(testKeys.JWT_PUBLIC_KEYS) as { keys: Array<{ publicKey: string }> }).keys[0]!.publicKey;

export const testEnvironment = {
  TABLE_NAME: 'auth-test',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  APP_URL: 'https://app.example.com',
  ALLOWED_ORIGINS: 'https://app.example.com',
  MAIL_FROM: 'auth@example.com',
  // The issuer is the API's base URL, as on AWS.
  JWT_ISSUER: 'https://auth.example.com',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_PASSES: '1',
  POWERTOOLS_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  // No network in unit and invoke tests: the breach check has tests of its own against a local server.
  BREACHED_PASSWORD_CHECK: 'false',
  ...testKeys,
};
