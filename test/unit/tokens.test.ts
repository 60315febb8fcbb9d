import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { isCanonicalLowS, signAccessToken, toLowS, verifyAccessToken, withinLifetime } from '../../shared/tokens/access-token';
import { deriveRefreshToken, firstValidRefreshToken, readRefreshToken } from '../../shared/tokens/refresh-token';
import { hashVerificationToken, newVerificationToken } from '../../shared/tokens/verification-token';
import { generateSigningKeyPair } from '../../shared/keygen';
import { publicKeyPem, signingKey, testEnvironment } from '../support/keys';

describe('access tokens', () => {
  it('carry kid, iss, aud, sub, sid, jti, iat, exp and token_use, signed with ES256', async () => {
    const { accessToken, expiresIn } = await signAccessToken('user-1', 'session-1');

    const { header, payload } = jwt.decode(accessToken, { complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload };
    expect(header).toMatchObject({ alg: 'ES256', kid: signingKey.kid, typ: 'at+jwt' });
    expect(payload).toMatchObject({ iss: testEnvironment.JWT_ISSUER, aud: 'serverless-auth-api', sub: 'user-1', sid: 'session-1', token_use: 'access' });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(expiresIn).toBe(900);
  });

  it('carry the session’s sign-in as auth_time in seconds, the same however late the token is issued', async () => {
    const signedInAt = Date.now() - 25 * 60_000 + 999;
    const { accessToken } = await signAccessToken('user-1', 'session-1', ['pwd'], [], signedInAt);

    const payload = jwt.decode(accessToken) as jwt.JwtPayload;
    expect(payload.auth_time).toBe(Math.floor(signedInAt / 1000));
    expect(payload.iat! - payload.auth_time).toBeGreaterThanOrEqual(25 * 60 - 1);
  });

  it('verify back to their claims', async () => {
    const { accessToken } = await signAccessToken('user-1', 'session-1');

    expect(await verifyAccessToken(accessToken)).toMatchObject({ sub: 'user-1', sid: 'session-1' });
  });

  it('are refused when signed by a key that is not configured, even under the configured kid', async () => {
    const attacker = generateSigningKeyPair(signingKey.kid);
    const forged = jwt.sign({ sid: 'session-1', token_use: 'access' }, attacker.privateKey, {
      algorithm: 'ES256', keyid: signingKey.kid, issuer: testEnvironment.JWT_ISSUER, audience: 'serverless-auth-api', subject: 'user-1', jwtid: 'j', expiresIn: 60,
    });

    expect(await verifyAccessToken(forged)).toBeUndefined();
  });
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The same signature with s replaced by n - s: it verifies too, unless s is checked. */
function highSTwin(token: string): string {
  const [header, payload, signature] = token.split('.');
  const bytes = Buffer.from(signature!, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex').copy(bytes, 32);
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

/** Signs claims as given with the configured key (so only the bent part can cause a refusal). */
function signRaw(payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const claims = { iss: testEnvironment.JWT_ISSUER, aud: 'serverless-auth-api', sub: 'user-1', sid: 'session-1', jti: 'j', token_use: 'access', iat: nowSeconds(), exp: nowSeconds() + 900, ...payload };
  const token = jwt.sign(JSON.parse(JSON.stringify(claims)) as object, signingKey.privateKey, {
    algorithm: 'ES256',
    // jsonwebtoken adds an iat unless told not to, and drops a given one when told not to.
    noTimestamp: claims.iat === undefined,
    header: JSON.parse(JSON.stringify({ alg: 'ES256', kid: signingKey.kid, typ: 'at+jwt', ...header })) as jwt.JwtHeader,
  });
  const [h, p, signature] = token.split('.');
  return `${h}.${p}.${toLowS(signature!)}`;
}

describe('access token signatures and types', () => {
  it('are always issued with the low s, so each token has one spelling', async () => {
    // Act: the signer picks a random nonce; about half of raw ECDSA signatures have a high s.
    const tokens = await Promise.all(Array.from({ length: 24 }, () => signAccessToken('user-1', 'session-1')));

    // Assess
    for (const { accessToken } of tokens) expect(isCanonicalLowS(accessToken.split('.')[2]!)).toBe(true);
  });

  it('refuse the high-s twin of a valid token, which plain ECDSA verification accepts', async () => {
    // Prepare
    const { accessToken } = await signAccessToken('user-1', 'session-1');
    const twin = highSTwin(accessToken);

    // Act
    const verified = await verifyAccessToken(twin);

    // Assess: the twin is a valid ECDSA signature all the same, so only the s check refuses it.
    const [h, p, signature] = twin.split('.');
    expect(crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKeyPem, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url'))).toBe(true);
    expect(verified).toBeUndefined();
  });

  it('refuse a signature in a non-canonical base64url spelling', async () => {
    // Prepare: the last character carries 2 unused bits; setting them decodes to the same bytes.
    const { accessToken } = await signAccessToken('user-1', 'session-1');
    const signature = accessToken.split('.')[2]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = signature.slice(0, -1) + alphabet[alphabet.indexOf(signature.at(-1)!) | 1];

    // Act + Assess
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(await verifyAccessToken(`${accessToken.split('.').slice(0, 2).join('.')}.${respelled}`)).toBeUndefined();
  });

  it.each([
    ['typ "JWT"', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
    ['typ "id_token+jwt"', { typ: 'id_token+jwt' }],
  ])('refuse a token with %s', async (_case, header) => {
    expect(await verifyAccessToken(signRaw({}, header))).toBeUndefined();
  });

  it('accept the long form application/at+jwt in any case, as RFC 8725 allows', async () => {
    expect(await verifyAccessToken(signRaw({}, { typ: 'Application/AT+JWT' }))).toMatchObject({ sub: 'user-1' });
  });
});

describe('access token lifetimes', () => {
  it('accept the control: issued now for the configured 900 s', async () => {
    expect(await verifyAccessToken(signRaw({}))).toMatchObject({ sub: 'user-1' });
  });

  it.each([
    ['an exp 10 years ahead', () => ({ exp: nowSeconds() + 10 * 365 * 86_400 })],
    ['an exp one second beyond the configured lifetime', () => ({ exp: nowSeconds() + 901 })],
    ['an iat in the future beyond the 30 s skew', () => ({ iat: nowSeconds() + 120, exp: nowSeconds() + 600 })],
    ['no iat', () => ({ iat: undefined })],
    ['an iat that is not a whole number', () => ({ iat: nowSeconds() + 0.5 })],
    ['an iat older than the lifetime, with exp moved forward to match', () => ({ iat: nowSeconds() - 2000, exp: nowSeconds() + 60 })],
  ])('refuse %s', async (_case, claims) => {
    expect(await verifyAccessToken(signRaw(claims()))).toBeUndefined();
  });

  it.each([
    [0, 900, true],
    [30, 900, true],
    [31, 931, false],
    [-930, -30, true],
    [-931, -31, false],
    [0, 901, false],
  ])('bounds the lifetime from iat: iat now%+d s, exp now%+d s → %s', (iatOffset, expOffset, expected) => {
    const now = 1_800_000_000;
    expect(withinLifetime({ iat: now + iatOffset, exp: now + expOffset }, now, 900)).toBe(expected);
  });
});

describe('refresh tokens', () => {
  it('are 256-bit HMACs bound to a session and generation', async () => {
    const token = await deriveRefreshToken('AAAAAAAAAAAAAAAAAAAAAA', 3);

    expect(token).toMatch(/^rt1\.AAAAAAAAAAAAAAAAAAAAAA\.3\.[\w-]{43}$/);
    expect(await readRefreshToken(token)).toEqual({ sessionId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 3 });
  });

  it('derive the same successor every time, which lets racing refreshes share it', async () => {
    expect(await deriveRefreshToken('AAAAAAAAAAAAAAAAAAAAAA', 4)).toBe(await deriveRefreshToken('AAAAAAAAAAAAAAAAAAAAAA', 4));
  });

  it('cannot be minted from what the database holds: changing the generation breaks the MAC', async () => {
    const token = await deriveRefreshToken('AAAAAAAAAAAAAAAAAAAAAA', 3);
    const forged = token.replace('.3.', '.4.');

    expect(await readRefreshToken(forged)).toBeUndefined();
  });

  it('are refused when malformed', async () => {
    for (const token of [undefined, '', 'rt1', 'rt1.a.b.c', 'rt2.AAAAAAAAAAAAAAAAAAAAAA.0.x', 'rt1.AAAAAAAAAAAAAAAAAAAAAA.01.x', 'x'.repeat(500)]) {
      expect(await readRefreshToken(token)).toBeUndefined();
    }
  });

  it('are accepted only in the encoding we issued: re-spellings that decode to the same MAC are refused', async () => {
    // Prepare: a token whose signature has a "-" or "_", so standard base64 spells it differently.
    const sessionId = 'AAAAAAAAAAAAAAAAAAAAAA';
    let generation = 1;
    let token = await deriveRefreshToken(sessionId, generation);
    while (!/[-_]/.test(token.split('.')[3]!)) token = await deriveRefreshToken(sessionId, ++generation);
    const signature = token.split('.')[3]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 43 characters carry 258 bits for a 256-bit MAC: the last character's two low bits are unused.
    const lastIndex = alphabet.indexOf(signature.at(-1)!);
    const withDirtyPaddingBits = signature.slice(0, -1) + alphabet[lastIndex ^ 1];
    const respellings = [
      `${signature}=`,
      withDirtyPaddingBits,
      signature.replaceAll('-', '+').replaceAll('_', '/'),
      `${signature.slice(0, 10)}!${signature.slice(10)}`,
    ];

    // Act
    const answers = await Promise.all(respellings.map((respelled) => readRefreshToken(`rt1.${sessionId}.${generation}.${respelled}`)));

    // Assess: each is the same MAC to a lenient decoder, and refused.
    for (const respelled of respellings) expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    expect(answers).toEqual([undefined, undefined, undefined, undefined]);
    expect(await readRefreshToken(token)).toEqual({ sessionId, generation });
  });

  it('are refused with a re-spelled prefix or generation', async () => {
    // Prepare
    const token = await deriveRefreshToken('AAAAAAAAAAAAAAAAAAAAAA', 7);
    const [, sessionId, , signature] = token.split('.');

    // Act
    const answers = await Promise.all([
      readRefreshToken(`RT1.${sessionId}.7.${signature}`),
      readRefreshToken(`rt1.${sessionId}.07.${signature}`),
      readRefreshToken(`rt1.${sessionId}.7.0.${signature}`),
      readRefreshToken(` ${token}`),
    ]);

    // Assess
    expect(answers).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('of several presented, the first one we issued wins, whatever comes before it', async () => {
    // Prepare
    const stale = (await deriveRefreshToken('BBBBBBBBBBBBBBBBBBBBBB', 2)).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const real = await deriveRefreshToken('CCCCCCCCCCCCCCCCCCCCCC', 5);
    const later = await deriveRefreshToken('DDDDDDDDDDDDDDDDDDDDDD', 1);

    // Act
    const chosen = await firstValidRefreshToken(['garbage', stale, real, later]);
    const none = await firstValidRefreshToken(['garbage', stale]);

    // Assess
    expect(chosen).toEqual({ sessionId: 'CCCCCCCCCCCCCCCCCCCCCC', generation: 5 });
    expect(none).toBeUndefined();
  });
});

describe('verification tokens', () => {
  it('carry 256 random bits and are stored only as their SHA-256', () => {
    const { token, tokenHash } = newVerificationToken();

    expect(token).toMatch(/^vt1_[\w-]{43}$/);
    expect(tokenHash).toBe(hashVerificationToken(token));
    expect(tokenHash).not.toContain(token.slice(4));
  });
});
