import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { api, newVerifiedUser, stack } from './support';

interface Discovery {
  issuer: string;
  jwks_uri: string;
  amr_values_supported: string[];
}

async function discover(): Promise<Discovery> {
  const response = await api('/.well-known/openid-configuration');
  expect(response.status).toBe(200);
  return (await response.json()) as Discovery;
}

describe('OIDC discovery', () => {
  it('lives under the issuer, which is the local stack’s own base URL', async () => {
    // Act
    const discovery = await discover();

    // Assess
    expect(discovery.issuer).toBe(stack.apiUrl);
    expect(discovery.jwks_uri).toBe(`${stack.apiUrl}/.well-known/jwks.json`);
  });

  it('lets a standard verifier (jose) check an access token with only the issuer URL and the audience', async () => {
    // Prepare
    const { accessToken, userId } = await newVerifiedUser('discovery');
    const discovery = await discover();

    // Act
    const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(accessToken, keys, {
      issuer: discovery.issuer,
      audience: stack.audience,
      algorithms: ['ES256'],
      typ: 'at+jwt',
    });

    // Assess
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ iss: stack.apiUrl, aud: stack.audience, sub: userId, token_use: 'access' });
    expect(discovery.amr_values_supported).toEqual(expect.arrayContaining(payload.amr as string[]));
  });

  it('makes the same verifier refuse a token meant for another audience', async () => {
    // Prepare
    const { accessToken } = await newVerifiedUser('discovery-aud');
    const discovery = await discover();

    // Act
    const verifying = jwtVerify(accessToken, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: discovery.issuer, audience: 'another-api' });

    // Assess
    await expect(verifying).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });
});

describe('GET /openapi.json', () => {
  it('serves the committed OpenAPI document, which every reply in these tests is checked against', async () => {
    // Prepare
    const committed = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'shared', 'api', 'openapi.json'), 'utf8'));

    // Act
    const response = await api('/openapi.json');

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(committed);
  });
});
