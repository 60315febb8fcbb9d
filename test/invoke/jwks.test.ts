import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/jwks/handler';
import { resetConfig } from '../../shared/config';
import { generateSigningKeyPair } from '../../shared/keygen';
import { resetKeyCache } from '../../shared/keys';
import { awsError, secretsMock } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { signingKey } from '../support/keys';
import { json } from '../support/replies';

const jwks = () => handler(apiEvent({ method: 'GET', path: '/.well-known/jwks.json' }), lambdaContext);

/** Public keys from Secrets Manager only, as on AWS: the environment names the secret, not the keys. */
function givenPublicKeysInSecretsManager(secretId: string) {
  vi.stubEnv('JWT_PUBLIC_KEYS', undefined);
  vi.stubEnv('JWT_PUBLIC_KEYS_SECRET_ID', secretId);
  resetConfig();
  resetKeyCache();
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes the public verification key as an EC P-256 JWK, without the private part', async () => {
    // Act
    const reply = await jwks();

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(reply.headers?.['Content-Type']).toBe('application/json');
    expect(reply.headers?.['Cache-Control']).toMatch(/^public\b/);
    const { keys } = json<{ keys: Array<Record<string, unknown>> }>(reply);
    expect(keys).toEqual([
      { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: signingKey.kid, alg: 'ES256', use: 'sig' },
    ]);
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('publishes a key that verifies the access tokens the service signs', async () => {
    const reply = await jwks();
    const token = jwt.sign({ sub: 'user-alice' }, signingKey.privateKey, { algorithm: 'ES256', keyid: signingKey.kid });

    const [jwk] = json<{ keys: JsonWebKey[] }>(reply).keys;
    const key = createPublicKey({ key: jwk!, format: 'jwk' });

    expect(jwt.verify(token, key, { algorithms: ['ES256'] })).toMatchObject({ sub: 'user-alice' });
  });

  it('reads the public keys from Secrets Manager once, publishing the old and the new key during a rotation', async () => {
    const previous = generateSigningKeyPair('key-2026-10');
    const current = generateSigningKeyPair('key-2026-11');
    givenPublicKeysInSecretsManager('auth/jwt-public-keys');
    secretsMock.on(GetSecretValueCommand, { SecretId: 'auth/jwt-public-keys' }).resolves({
      SecretString: JSON.stringify({ keys: [previous, current].map(({ kid, publicKey }) => ({ kid, publicKey })) }),
    });

    const first = await jwks();
    const second = await jwks();

    for (const reply of [first, second]) {
      expect(reply.statusCode).toBe(200);
      const keys = json<{ keys: Array<Record<string, unknown>> }>(reply).keys;
      expect(keys.map((k) => k.kid)).toEqual(['key-2026-10', 'key-2026-11']);
      for (const k of keys) expect(k).not.toHaveProperty('d');
    }
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('answers 503 with Retry-After while Secrets Manager throttles, and recovers on the next call', async () => {
    const current = generateSigningKeyPair('key-2026-11');
    givenPublicKeysInSecretsManager('auth/jwt-public-keys');
    secretsMock
      .on(GetSecretValueCommand)
      .rejectsOnce(awsError('ThrottlingException'))
      .resolves({ SecretString: JSON.stringify({ keys: [{ kid: current.kid, publicKey: current.publicKey }] }) });

    const throttled = await jwks();
    const recovered = await jwks();

    expect(throttled.statusCode).toBe(503);
    expect(throttled.headers?.['Retry-After']).toBe('5');
    expect(json(throttled).code).toBe('service_unavailable');
    expect(recovered.statusCode).toBe(200);
    expect(json(recovered).keys.map((k: { kid: string }) => k.kid)).toEqual(['key-2026-11']);
  });
});
