import { describe, expect, it } from 'vitest';
import { ContextError, exampleValueProblems, functionEnvironment, readStackConfig } from '../../infra/config';
import { parseConfig } from '../../shared/config';

const required = { mailFrom: 'no-reply@example.com', appUrl: 'https://app.example.com', allowedOrigins: 'https://app.example.com' };
const read = (context: Record<string, unknown>) => readStackConfig(context);
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
    expect(error.message).toMatch(new RegExp(`^  ${key}: `, 'm'));
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
    const env = functionEnvironment(read({ ...required, cookieSameSite: 'None', sessionMaxAgeSeconds: '7200', mailGlobalPerHour: '5000' }), 'auth-table', 'ServerlessAuth-dev');

    // Assess
    expect(parseConfig(env)).toMatchObject({
      TABLE_NAME: 'auth-table',
      COOKIE_SAMESITE: 'None',
      SESSION_MAX_AGE_SECONDS: 7200,
      ALLOWED_ORIGINS: ['https://app.example.com'],
      APP_URL: 'https://app.example.com',
      MAIL_FROM: 'no-reply@example.com',
      MAIL_GLOBAL_PER_HOUR: 5000,
      MAIL_PER_SOURCE_PER_HOUR: 50,
      BREACHED_PASSWORD_CHECK: true,
    });
  });

  it('fails on an unknown key, suggesting the known key it is closest to', () => {
    // Act
    const error = errorOf({ ...required, wafRatelimit: '50', acessTokenTtl: '60', somethingElseEntirely: 'x' });

    // Assess
    expect(error).toBeInstanceOf(ContextError);
    expect(error.message.split('\n').slice(1)).toEqual([
      '  unknown context key wafRatelimit: did you mean wafRateLimit?',
      '  unknown context key acessTokenTtl',
      '  unknown context key somethingElseEntirely',
    ]);
  });

  it('ignores the keys CDK and its CLI put into context: feature flags, its own settings, lookups', () => {
    // Prepare
    const cdkOwn = {
      '@aws-cdk/core:enablePartitionLiterals': true,
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:bundling-stacks': [],
      'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
      'acknowledged-issue-numbers': [12345],
      'cdk-assets-version': '1',
    };

    // Act
    const config = read({ ...required, ...cdkOwn });

    // Assess
    expect(config.stage).toBe('dev');
  });

  it.each([
    ['authorizerCacheTtlSeconds', '5000', 'must be between 0 and 3600'],
    ['authorizerCacheTtlSeconds', '-1', 'must be between 0 and 3600'],
    ['authorizerCacheTtlSeconds', 'thirty', 'must be a whole number between 0 and 3600'],
    ['wafRateLimit', '5', 'must be between 10 and 2000000000'],
    ['accessTokenTtlSeconds', '0', 'must be at least 1'],
    ['accessTokenTtlSeconds', '1.5', 'must be a whole number, at least 1'],
    ['throttleRateLimit', 'fast', 'must be a positive number'],
    ['signingKeyRotationDays', '4000', 'must be between 1 and 3650'],
    ['securityEventRetentionDays', '0', 'must be between 1 and 3650'],
    ['issuer', 'http://auth.example.com', 'must be an https URL like https://auth.example.com'],
    ['issuer', 'serverless-auth', 'must be an https URL like https://auth.example.com'],
    ['audience', 'two words', 'must be 1 to 256 visible ASCII characters, no spaces'],
  ])('says the rule %s breaks with %j, in one line', (key, value, rule) => {
    // Act
    const error = errorOf({ ...required, [key]: value });

    // Assess
    expect(error.message.split('\n').slice(1)).toEqual([`  ${key}: ${rule}`]);
  });

  it("says once that allowedOrigins='*' is forbidden", () => {
    // Act
    const error = errorOf({ ...required, allowedOrigins: '*' });

    // Assess
    expect(error.message.split('\n').slice(1)).toEqual([
      '  allowedOrigins: `*` is forbidden: the API answers with credentials, so list each allowed origin',
    ]);
  });

  it('lists every problem, one line each', () => {
    // Act
    const error = errorOf({ ...required, allowedOrigins: 'https://a.example.com/path', waf: 'no', wafRatelimit: '50' });

    // Assess
    expect(error.message.split('\n').slice(1)).toEqual([
      '  unknown context key wafRatelimit: did you mean wafRateLimit?',
      '  allowedOrigins: must be a bare origin like https://app.example.com (no path, no trailing slash)',
      '  waf: must be true or false',
    ]);
  });

  it('names the example domains of cdk.json on any stage but dev, one line per key', () => {
    // Act
    const prod = exampleValueProblems(read({ ...required, stage: 'prod' }));
    const dev = exampleValueProblems(read({ ...required, stage: 'dev' }));
    const real = exampleValueProblems(read({ stage: 'prod', mailFrom: 'no-reply@acme-corp.io', appUrl: 'https://app.acme-corp.io', allowedOrigins: 'https://app.acme-corp.io' }));

    // Assess
    expect(prod).toEqual([
      'mailFrom: is an example value (example.com); stage prod needs your own (only stage dev accepts examples)',
      'appUrl: is an example value (app.example.com); stage prod needs your own (only stage dev accepts examples)',
      'allowedOrigins: is an example value (app.example.com); stage prod needs your own (only stage dev accepts examples)',
    ]);
    expect(dev).toEqual([]);
    expect(real).toEqual([]);
  });

  it('reads the plain object a team passes in its own app, example domains included', () => {
    // Act: the call docs/integration.md shows, with the values of a team trying it out
    const config = readStackConfig({ stage: 'prod', appUrl: 'https://app.example.com', allowedOrigins: ['https://app.example.com'], mailFrom: 'no-reply@example.com' });

    // Assess
    expect(config).toMatchObject({ stage: 'prod', appUrl: 'https://app.example.com', allowedOrigins: ['https://app.example.com'] });
    expect(config.mailFrom.address).toBe('no-reply@example.com');
  });

  it('takes a custom MAIL FROM domain only under the sender domain, on the stage that creates the identity', () => {
    // Act
    const ok = read({ ...required, createSenderIdentity: 'true', mailFromDomain: 'mail.example.com' });
    const elsewhere = errorOf({ ...required, createSenderIdentity: 'true', mailFromDomain: 'mail.other.org' });
    const notCreated = errorOf({ ...required, mailFromDomain: 'mail.example.com' });

    // Assess
    expect(ok.mailFromDomain).toBe('mail.example.com');
    expect(elsewhere.message).toContain("mailFromDomain: must be a subdomain of the sender's domain (example.com)");
    expect(notCreated.message).toContain('mailFromDomain: is set on the identity this stack creates: it needs createSenderIdentity=true');
  });

  it('takes a permissions boundary as a policy name or ARN, and standby Regions as a list', () => {
    // Act
    const byName = read({ ...required, permissionsBoundary: 'acme-boundary', replicaRegions: 'eu-central-1, us-west-2' });
    const byArn = read({ ...required, permissionsBoundary: 'arn:aws:iam::123456789012:policy/teams/acme-boundary' });
    const bad = errorOf({ ...required, permissionsBoundary: 'not a policy!' });

    // Assess
    expect(byName).toMatchObject({ permissionsBoundary: 'acme-boundary', replicaRegions: ['eu-central-1', 'us-west-2'] });
    expect(byArn.permissionsBoundary).toBe('arn:aws:iam::123456789012:policy/teams/acme-boundary');
    expect(bad.message).toContain('permissionsBoundary: must be a managed policy name or ARN');
  });
});
