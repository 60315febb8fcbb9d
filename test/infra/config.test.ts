import { describe, expect, it } from 'vitest';
import { ContextError, functionEnvironment, readStackConfig } from '../../infra/config';
import { parseConfig } from '../../shared/config';

const required = { mailFrom: 'no-reply@example.com', appUrl: 'https://app.example.com', allowedOrigins: 'https://app.example.com' };
const read = (context: Record<string, unknown>) => readStackConfig((key) => context[key]);
const errorOf = (context: Record<string, unknown>) => {
  try {
    read(context);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a ContextError');
};

describe('cdk context', () => {
  it('needs only the sender, the app URL and the allowed origins; everything else has a default', () => {
    // Act
    const config = read(required);

    // Assess
    expect(config).toMatchObject({
      stage: 'dev',
      mailFrom: { header: 'no-reply@example.com', address: 'no-reply@example.com' },
      allowedOrigins: ['https://app.example.com'],
      accessTokenTtlSeconds: 900,
      sessionIdleTimeoutSeconds: 1800,
      sessionMaxAgeSeconds: 86_400,
      cookieSameSite: 'Strict',
      authorizerCacheTtlSeconds: 30,
      waf: true,
      retainData: true,
      logRetentionDays: 30,
    });
  });

  it.each(['mailFrom', 'appUrl', 'allowedOrigins'])('fails naming %s when it is missing', (key) => {
    // Act
    const error = errorOf({ ...required, [key]: undefined });

    // Assess
    expect(error).toBeInstanceOf(ContextError);
    expect(error.message).toContain(`${key}: is required`);
  });

  it.each([
    ['allowedOrigins', 'https://app.example.com/'],
    ['allowedOrigins', '*'],
    ['appUrl', 'ftp://app.example.com'],
    ['mailFrom', 'not an address'],
    ['waf', 'no'],
    ['retainData', 'maybe'],
    ['accessTokenTtlSeconds', 'fifteen minutes'],
    ['authorizerCacheTtlSeconds', '7200'],
    ['cookieSameSite', 'strict'],
    ['logRetentionDays', '10'],
    ['stage', 'Prod_1'],
    ['wafRateLimit', '5'],
    ['passwordFunctionsReservedConcurrency', '0'],
    ['passwordFunctionsReservedConcurrency', 'lots'],
    ['passwordFunctionsReservedConcurrency', '2.5'],
    ['senderIdentity', 'other.example'],
    ['sessionIdleTimeoutSeconds', '200000'],
  ])('fails naming %s when it is %j', (key, value) => {
    // Act
    const error = errorOf({ ...required, [key]: value });

    // Assess
    expect(error).toBeInstanceOf(ContextError);
    expect(error.message).toMatch(new RegExp(`: ${key}: `));
  });

  it('reads -c strings and cdk.json values alike', () => {
    // Act
    const fromFlags = read({ ...required, allowedOrigins: 'https://a.example.com, https://b.example.com', waf: 'false', accessTokenTtlSeconds: '300' });
    const fromJson = read({ ...required, allowedOrigins: ['https://a.example.com', 'https://b.example.com'], waf: false, accessTokenTtlSeconds: 300 });

    // Assess
    expect(fromFlags).toEqual(fromJson);
    expect(fromJson).toMatchObject({ allowedOrigins: ['https://a.example.com', 'https://b.example.com'], waf: false, accessTokenTtlSeconds: 300 });
  });

  it('accepts a sender with a display name and sends from its address', () => {
    // Act
    const config = read({ ...required, mailFrom: 'Example App <No-Reply@Example.com>' });

    // Assess
    expect(config.mailFrom).toEqual({ header: 'Example App <No-Reply@Example.com>', address: 'no-reply@example.com' });
  });

  it('turns into an environment the functions accept', () => {
    // Act
    const env = functionEnvironment(read({ ...required, cookieSameSite: 'None', sessionMaxAgeSeconds: '7200' }), 'auth-table');

    // Assess
    expect(parseConfig(env)).toMatchObject({
      TABLE_NAME: 'auth-table',
      COOKIE_SAMESITE: 'None',
      SESSION_MAX_AGE_SECONDS: 7200,
      ALLOWED_ORIGINS: ['https://app.example.com'],
      APP_URL: 'https://app.example.com',
      MAIL_FROM: 'no-reply@example.com',
    });
  });
});
