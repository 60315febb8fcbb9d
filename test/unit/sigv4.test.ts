import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { localAdminKeyPair, verifySigV4, type SignedRequest } from '../../infra/local/sigv4';

const keys = { accessKeyId: 'AKLOCALTEST0001', secretAccessKey: 'local-secret-of-the-admin' };
const REGION = 'us-east-1';

/** A request signed the way the SDK (and `npm run admin`) signs it, as the gateway receives it. */
async function signed(options: { secret?: string; at?: Date; body?: string; region?: string } = {}): Promise<SignedRequest> {
  const body = options.body ?? JSON.stringify({ roles: ['admin'] });
  const signer = new SignatureV4({
    credentials: { ...keys, secretAccessKey: options.secret ?? keys.secretAccessKey },
    region: options.region ?? REGION,
    service: 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = await signer.sign(
    {
      method: 'PUT', protocol: 'http:', hostname: 'localhost', port: 3000, path: '/admin/users/u-1/roles', query: { limit: '5' },
      headers: { host: 'localhost:3000', 'content-type': 'application/json' }, body,
    },
    { signingDate: options.at ?? new Date() },
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { method: 'PUT', host: 'localhost:3000', path: '/admin/users/u-1/roles', query: { limit: '5' }, headers, body: Buffer.from(body) };
}

describe('local SigV4 verification of /admin requests', () => {
  it('accepts a request signed with the local key pair', async () => {
    expect(await verifySigV4(await signed(), keys, REGION)).toBe(true);
  });

  it('refuses a request signed with another secret', async () => {
    expect(await verifySigV4(await signed({ secret: 'not-the-secret' }), keys, REGION)).toBe(false);
  });

  it('refuses a signature older than 5 minutes, and one dated in the future by as much', async () => {
    expect(await verifySigV4(await signed({ at: new Date(Date.now() - 6 * 60_000) }), keys, REGION)).toBe(false);
    expect(await verifySigV4(await signed({ at: new Date(Date.now() + 6 * 60_000) }), keys, REGION)).toBe(false);
    expect(await verifySigV4(await signed({ at: new Date(Date.now() - 4 * 60_000) }), keys, REGION)).toBe(true);
  });

  it('refuses a request whose body was changed after signing', async () => {
    const request = await signed();
    request.body = Buffer.from(JSON.stringify({ roles: ['admin', 'root'] }));

    expect(await verifySigV4(request, keys, REGION)).toBe(false);
  });

  it('refuses a request whose query or path was changed after signing', async () => {
    expect(await verifySigV4({ ...(await signed()), query: { limit: '500' } }, keys, REGION)).toBe(false);
    expect(await verifySigV4({ ...(await signed()), path: '/admin/users/u-2/roles' }, keys, REGION)).toBe(false);
  });

  it('refuses an unsigned request, another key id and another region', async () => {
    const request = await signed();
    expect(await verifySigV4({ ...request, headers: { ...request.headers, authorization: '' } }, keys, REGION)).toBe(false);
    expect(await verifySigV4(request, { ...keys, accessKeyId: 'AKOTHER' }, REGION)).toBe(false);
    expect(await verifySigV4(await signed({ region: 'eu-west-1' }), keys, REGION)).toBe(false);
  });

  it('takes the key pair from the environment when both variables are set, else makes a fresh one', () => {
    expect(localAdminKeyPair({ LOCAL_ADMIN_ACCESS_KEY_ID: 'AKID', LOCAL_ADMIN_SECRET_ACCESS_KEY: 'secret' })).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'secret' });
    const fresh = localAdminKeyPair({});
    expect(fresh.secretAccessKey).not.toEqual(localAdminKeyPair({}).secretAccessKey);
  });
});
