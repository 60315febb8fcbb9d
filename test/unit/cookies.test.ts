import { describe, expect, it } from 'vitest';
import { deviceCookie, readCookie, refreshCookie, refreshCookiePath } from '../../shared/http/cookies';

describe('refresh cookie', () => {
  it('is HttpOnly, Secure, scoped to /auth, with the configured SameSite and lifetime', () => {
    expect(refreshCookie('rt1.x.0.y', 3600, { sameSite: 'None', path: '/auth' })).toBe(
      'refresh_token=rt1.x.0.y; Max-Age=3600; Path=/auth; HttpOnly; Secure; SameSite=None',
    );
  });

  it('is scoped to /auth on a custom domain and to /<stage>/auth on the execute-api domain', () => {
    expect(refreshCookiePath({ path: '/auth/refresh', requestContext: { path: '/auth/refresh' } })).toBe('/auth');
    expect(refreshCookiePath({ path: '/auth/refresh', requestContext: { path: '/prod/auth/refresh' } })).toBe('/prod/auth');
    expect(refreshCookiePath({ path: '/auth/refresh', requestContext: { path: '/v1/prod/auth/refresh' } })).toBe('/v1/prod/auth');
  });

  it('never lets a strange request path inject cookie attributes', () => {
    expect(refreshCookiePath({ path: '/auth/refresh', requestContext: { path: '/a;Domain=evil.example/auth/refresh' } })).toBe('/auth');
    expect(refreshCookiePath({ path: '/auth/refresh', requestContext: { path: '/elsewhere' } })).toBe('/auth');
  });

  it('is read from a Cookie header among others', () => {
    expect(readCookie('theme=dark; refresh_token=rt1.a.0.b; other=1', 'refresh_token')).toBe('rt1.a.0.b');
    expect(readCookie('refresh_token=', 'refresh_token')).toBeUndefined();
    expect(readCookie(undefined, 'refresh_token')).toBeUndefined();
  });
});

describe('device cookie', () => {
  it('is HttpOnly, Secure, a year long, with the configured SameSite, and only sent to the login route under the stage prefix', () => {
    const path = refreshCookiePath({ path: '/auth/login', requestContext: { path: '/prod/auth/login' } });

    expect(deviceCookie('dv1.u.d.1.s', 31_536_000, { sameSite: 'Lax', path })).toBe(
      'device=dv1.u.d.1.s; Max-Age=31536000; Path=/prod/auth/login; HttpOnly; Secure; SameSite=Lax',
    );
  });
});
