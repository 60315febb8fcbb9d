import { describe, expect, it } from 'vitest';
import { deviceCookie, joinedCookieHeader, readCookie, readCookies, refreshCookie, refreshCookiePath } from '../../shared/http/cookies';

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

  it('is read in every copy, in the order sent, skipping empty ones', () => {
    expect(readCookies('refresh_token=first; theme=dark; refresh_token=; refresh_token=second', 'refresh_token')).toEqual(['first', 'second']);
    expect(readCookies(undefined, 'refresh_token')).toEqual([]);
  });
});

describe('several Cookie header lines', () => {
  it('are joined in order from multiValueHeaders, whose last line alone is all that headers keeps', () => {
    // Prepare: what API Gateway hands a function for two Cookie lines.
    const event = {
      headers: { cookie: 'refresh_token=second' },
      multiValueHeaders: { cookie: ['theme=dark; refresh_token=first', 'refresh_token=second'] },
    };

    // Act
    const joined = joinedCookieHeader(event);

    // Assess
    expect(joined).toBe('theme=dark; refresh_token=first; refresh_token=second');
    expect(readCookies(joined, 'refresh_token')).toEqual(['first', 'second']);
  });

  it('fall back to the single header when there are no multi-value headers, whatever its spelling', () => {
    expect(joinedCookieHeader({ headers: { Cookie: 'a=1' }, multiValueHeaders: null })).toBe('a=1');
    expect(joinedCookieHeader({ headers: { host: 'x' } })).toBeUndefined();
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
