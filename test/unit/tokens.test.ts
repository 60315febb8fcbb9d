import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken } from '../../shared/tokens/access-token';
import { deriveRefreshToken, readRefreshToken } from '../../shared/tokens/refresh-token';
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
});

describe('verification tokens', () => {
  it('carry 256 random bits and are stored only as their SHA-256', () => {
    const { token, tokenHash } = newVerificationToken();

    expect(token).toMatch(/^vt1_[\w-]{43}$/);
    expect(tokenHash).toBe(hashVerificationToken(token));
    expect(tokenHash).not.toContain(token.slice(4));
  });
});
