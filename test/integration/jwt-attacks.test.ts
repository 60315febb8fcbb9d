import { createHmac, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, expectProblem, me, newVerifiedUser, stack, type SignedIn } from './support';

/**
 * Forged and bent access tokens against GET /me: every one must get the authorizer's 401, while
 * a token built the honest way with the stack's key (the control) gets 200, so each 401 is
 * caused by the attack and nothing else.
 */
const signingKey = JSON.parse(stack.signingKey) as { kid: string; privateKey: string };
const publicKeyPem = (JSON.parse(stack.publicKeys) as { keys: Array<{ publicKey: string }> }).keys[0]!.publicKey;
const realKey = createPrivateKey(signingKey.privateKey);
const attackerKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** Replaces s by n - s when `high` says so; both spellings are valid ECDSA signatures. */
function withS(signature: Buffer, high: boolean): string {
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  if (s > P256_ORDER / 2n !== high) Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex').copy(signature, 32);
  return signature.toString('base64url');
}

/** Signs as the service does: ES256 with the low s. */
function es256(input: string, key: KeyObject = realKey): string {
  return withS(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }), false);
}

/** The same token under the high-s spelling of its own signature. */
function highSTwin(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  return `${h}.${p}.${withS(Buffer.from(s!, 'base64url'), true)}`;
}

function token(header: Record<string, unknown>, payload: Record<string, unknown>, signer: (input: string) => string = es256): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer(input)}`;
}

let victim: SignedIn;
let claims: Record<string, unknown>;
const header = () => ({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid });
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  victim = await newVerifiedUser('jwt');
  claims = claimsOf(victim.accessToken);
});

describe('access token attacks on GET /me', () => {
  it('accepts the control: a token signed with the stack key and the right claims', async () => {
    // Act
    const response = await me(token(header(), { ...claims, iat: now(), exp: now() + 300 }));

    // Assess
    expect(response.status).toBe(200);
  });

  const attacks: Array<[string, () => string]> = [
    ['alg "none" with no signature', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
    ['alg "none" keeping the original signature', () => `${b64({ alg: 'none', kid: signingKey.kid })}.${b64(claims)}.${victim.accessToken.split('.')[2]}`],
    ['HS256 signed with the public key as the HMAC secret', () =>
      token({ ...header(), alg: 'HS256' }, claims, (input) => createHmac('sha256', publicKeyPem).update(input).digest('base64url'))],
    ['a tampered payload (another user) under the original signature', () => {
      const [h, , s] = victim.accessToken.split('.');
      return `${h}.${b64({ ...claims, sub: '00000000-0000-0000-0000-000000000000' })}.${s}`;
    }],
    ['an all-zero signature', () => `${victim.accessToken.split('.').slice(0, 2).join('.')}.${Buffer.alloc(64).toString('base64url')}`],
    ['an attacker key embedded as a jwk header', () =>
      token({ ...header(), jwk: attackerKeys.publicKey.export({ format: 'jwk' }) }, claims, (input) => es256(input, attackerKeys.privateKey))],
    ['a jku header pointing at an attacker JWKS', () =>
      token({ ...header(), jku: 'http://127.0.0.1:1/jwks.json' }, claims, (input) => es256(input, attackerKeys.privateKey))],
    ['a kid with path traversal', () => token({ ...header(), kid: '../../../../dev/null' }, claims)],
    ['an unknown kid signed by the attacker', () => token({ ...header(), kid: 'attacker-key' }, claims, (input) => es256(input, attackerKeys.privateKey))],
    ['the right kid signed by the attacker', () => token(header(), claims, (input) => es256(input, attackerKeys.privateKey))],
    ['an expired token, beyond the allowed skew', () => token(header(), { ...claims, iat: now() - 3600, exp: now() - 120 })],
    ['a wrong issuer', () => token(header(), { ...claims, iss: 'someone-else', exp: now() + 300 })],
    ['a wrong audience', () => token(header(), { ...claims, aud: 'another-api', exp: now() + 300 })],
    ['token_use "refresh"', () => token(header(), { ...claims, token_use: 'refresh', exp: now() + 300 })],
    ['no token_use at all', () => {
      const { token_use: _ignored, ...rest } = claims;
      return token(header(), { ...rest, exp: now() + 300 });
    }],
    ['a session id that does not exist', () => token(header(), { ...claims, sid: 'no-such-session', exp: now() + 300 })],
    ['a valid session of another user under this subject', () => token(header(), { ...claims, sub: 'someone-else', exp: now() + 300 })],
    ['a truncated token', () => victim.accessToken.slice(0, -10)],
    ['the high-s twin of the token the service issued', () => highSTwin(victim.accessToken)],
    ['an exp 10 years ahead', () => token(header(), { ...claims, iat: now(), exp: now() + 10 * 365 * 86_400 })],
    ['an iat in the future beyond the skew', () => token(header(), { ...claims, iat: now() + 3600, exp: now() + 3600 + 300 })],
    ['no iat', () => {
      const { iat: _ignored, ...rest } = claims;
      return token(header(), { ...rest, exp: now() + 300 });
    }],
    ['typ "JWT" instead of at+jwt', () => token({ ...header(), typ: 'JWT' }, { ...claims, iat: now(), exp: now() + 300 })],
    ['no typ at all', () => token({ alg: 'ES256', kid: signingKey.kid }, { ...claims, iat: now(), exp: now() + 300 })],
  ];

  it.each(attacks)('refuses %s with 401 unauthorized', async (_, forge) => {
    // Act
    const response = await me(forge());

    // Assess
    await expectProblem(response, 401, 'unauthorized');
  });
});
