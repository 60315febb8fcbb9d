import { getPublicKeys } from '../keys';

export async function publicJwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
  const keys = await getPublicKeys();
  return {
    keys: [...keys].map(([kid, key]) => ({ ...key.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' })),
  };
}
