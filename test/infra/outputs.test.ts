import { describe, expect, it } from 'vitest';
import { routes } from '../../shared/routes';
import { synthesize } from './support/synth';

const customDomain = { apiDomainName: 'api.example.com', apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' };

describe('stack outputs', () => {
  it('are named for what they are, with no construct prefix and no output repeated', () => {
    // Act
    const outputs = synthesize(customDomain).template.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    expect(Object.keys(outputs).sort()).toEqual(
      expect.arrayContaining(['AlarmTopicArn', 'ApiUrl', 'CustomDomainTarget', 'JwksUrl', 'KeyManagerFunction', 'SenderIdentity', 'TableName']),
    );
    expect(Object.keys(outputs).filter((name) => name.startsWith('Http'))).toEqual([]);
    const values = Object.values(outputs).map((output) => JSON.stringify(output.Value));
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('issuer and audience context keys', () => {
  it('reach every function of the service as JWT_ISSUER and JWT_AUDIENCE', () => {
    // Act
    const { template } = synthesize({ issuer: 'https://auth.example.com', audience: 'orders-api' });

    // Assess
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) =>
      /^serverless-auth (?!mailer$|mail-feedback$|lifecycle-events$)/.test(fn.Properties.Description ?? ''),
    );
    // The provider callback serves GET and POST from one function, so count functions, not routes.
    expect(functions).toHaveLength(new Set(routes.map((r) => r.functionName)).size + 1);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ JWT_ISSUER: 'https://auth.example.com', JWT_AUDIENCE: 'orders-api' });
    }
  });
});
