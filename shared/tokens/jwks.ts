import { getPublicKeys } from '../keys';
import { SIGNING_ALGORITHM } from './algorithm';

export async function publicJwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
  const keys = await getPublicKeys();
  return {
    keys: [...keys].map(([kid, key]) => ({ ...key.export({ format: 'jwk' }), kid, alg: SIGNING_ALGORITHM, use: 'sig' })),
  };
}
