import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken } from '../../shared/tokens/access-token';
import { deriveRefreshToken, firstValidRefreshToken, readRefreshToken } from '../../shared/tokens/refresh-token';
import { hashVerificationToken, newVerificationToken } from '../../shared/tokens/verification-token';
import { generateSigningKeyPair } from '../../shared/keygen';
import { signingKey, testEnvironment } from '../support/keys';

describe('access tokens', () => {
  it('carry kid, iss, aud, sub, sid, jti, iat, exp and token_use, signed with ES256', async () => {
    const { accessToken, expiresIn } = await signAccessToken('user-1', 'session-1');

    const { header, payload } = jwt.decode(accessToken, { complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload };
    expect(header).toMatchObject({ alg: 'ES256', kid: signingKey.kid });
    expect(payload).toMatchObject({ iss: testEnvironment.JWT_ISSUER, aud: 'serverless-auth-api', sub: 'user-1', sid: 'session-1', token_use: 'access' });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(expiresIn).toBe(900);
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
