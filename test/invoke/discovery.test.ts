import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { apiEvent, lambdaContext } from '../support/events';
import { json } from '../support/replies';

/** Imports the handler afresh, as a cold start with this environment would. */
async function discoveryHandler(env: Record<string, string> = {}) {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const { resetConfig } = await import('../../shared/config');
  resetConfig();
  return (await import('../../functions/openid-configuration/handler')).handler;
}

describe('GET /.well-known/openid-configuration', () => {
  it('names the issuer exactly as in iss, the JWKS under it, ES256 and the fields discovery consumers require', async () => {
    // Prepare
    const handler = await discoveryHandler({ JWT_ISSUER: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' });

    // Act
    const reply = await handler(apiEvent({ method: 'GET', path: '/.well-known/openid-configuration' }), lambdaContext);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(reply.headers?.['Content-Type']).toBe('application/json');
    expect(reply.headers?.['Cache-Control']).toMatch(/^public, max-age=\d+$/);
    expect(json(reply)).toMatchObject({
      issuer: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      jwks_uri: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/.well-known/jwks.json',
      response_types_supported: expect.arrayContaining([expect.any(String)]),
      subject_types_supported: ['public'],
      claims_supported: expect.arrayContaining(['sub', 'sid', 'amr', 'token_use']),
      amr_values_supported: ['pwd', 'otp'],
    });
  });

  it('lists only what the service serves: no ID-token algorithms and no token endpoint, since it issues neither', async () => {
    // Prepare
    const handler = await discoveryHandler({ JWT_ISSUER: 'https://auth.example.com' });

    // Act
    const reply = await handler(apiEvent({ method: 'GET', path: '/.well-known/openid-configuration' }), lambdaContext);

    // Assess
    const fields = Object.keys(json(reply) as object);
    expect(fields.filter((name) => /id_token|token_endpoint|authorization_endpoint|userinfo/.test(name))).toEqual([]);
  });

  it('refuses to start with an issuer that is not a base URL', async () => {
    // Act
    const loading = discoveryHandler({ JWT_ISSUER: 'serverless-auth' });

    // Assess
    await expect(loading).rejects.toThrow(/JWT_ISSUER/);
  });

  it('refuses an issuer with a trailing slash, which would not match iss exactly', async () => {
    // Act
    const loading = discoveryHandler({ JWT_ISSUER: 'https://auth.example.com/' });

    // Assess
    await expect(loading).rejects.toThrow(/JWT_ISSUER: must be a base URL/);
  });
});

describe('GET /openapi.json', () => {
  it('serves the committed OpenAPI document, cacheable', async () => {
    // Prepare
    const { handler } = await import('../../functions/openapi/handler');
    const committed = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'shared', 'api', 'openapi.json'), 'utf8'));

    // Act
    const reply = await handler(apiEvent({ method: 'GET', path: '/openapi.json' }), lambdaContext);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(reply.headers?.['Content-Type']).toBe('application/json');
    expect(reply.headers?.['Cache-Control']).toMatch(/^public\b/);
    expect(json(reply)).toEqual(committed);
  });
});
