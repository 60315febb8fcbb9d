import { describe, expect, it } from 'vitest';
import { sanitizeIpAddress, sanitizeUserAgent, USER_AGENT_MAX_LENGTH } from '../../shared/auth/session-client';
import { sessionClientOf } from '../../shared/http/session-client';
import { apiEvent } from '../support/events';

describe('sanitizeUserAgent', () => {
  it('keeps an ordinary browser User-Agent as it is', () => {
    const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

    expect(sanitizeUserAgent(ua)).toBe(ua);
  });

  it.each([
    ['CR LF (a forged second line)', 'Firefox\r\nX-Admin: yes', 'Firefox X-Admin: yes'],
    ['NUL and other C0 controls', 'Fire\u0000fox\u0007/1', 'Fire fox /1'],
    ['DEL and C1 controls', 'Fire\u007ffox\u0085/1', 'Fire fox /1'],
    ['a right-to-left override that would disguise the text', 'Chrome\u202e1.0', 'Chrome 1.0'],
    ['zero-width characters', 'Safa\u200bri', 'Safa ri'],
    ['runs of whitespace and tabs', '  Edge \t\t 120  ', 'Edge 120'],
  ])('replaces %s with a single space', (_case, raw, expected) => {
    expect(sanitizeUserAgent(raw)).toBe(expected);
  });

  it(`cuts a long value to ${USER_AGENT_MAX_LENGTH} characters`, () => {
    expect(sanitizeUserAgent('A'.repeat(10_000))).toBe('A'.repeat(USER_AGENT_MAX_LENGTH));
  });

  it('never cuts a character outside the BMP in half', () => {
    const cut = sanitizeUserAgent('😀'.repeat(300))!;

    expect(Array.from(cut)).toHaveLength(USER_AGENT_MAX_LENGTH);
    expect(cut).toBe('😀'.repeat(USER_AGENT_MAX_LENGTH));
  });

  it.each([undefined, null, '', '   ', '\u0000\u0001\r\n'])('gives undefined for %j', (raw) => {
    expect(sanitizeUserAgent(raw)).toBeUndefined();
  });
});

describe('sanitizeIpAddress', () => {
  it.each(['203.0.113.7', '2001:db8::1', '::1'])('keeps the address %s', (ip) => {
    expect(sanitizeIpAddress(ip)).toBe(ip);
  });

  it.each([undefined, null, '', 'localhost', '203.0.113.7, 10.0.0.1', '1.2.3.4<script>', '999.1.1.1'])('refuses %j', (raw) => {
    expect(sanitizeIpAddress(raw)).toBeUndefined();
  });
});

describe('sessionClientOf', () => {
  it("takes the address from the gateway's requestContext.identity.sourceIp, never from X-Forwarded-For", () => {
    const event = apiEvent({ path: '/auth/login', sourceIp: '198.51.100.23', headers: { 'X-Forwarded-For': '6.6.6.6', 'User-Agent': 'Firefox/133' } });

    expect(sessionClientOf(event)).toEqual({ userAgent: 'Firefox/133', ipAddress: '198.51.100.23' });
  });

  it('records no address when the gateway gave none, whatever the headers claim', () => {
    const event = apiEvent({ path: '/auth/login', headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Real-IP': '6.6.6.6' } });
    event.requestContext.identity.sourceIp = '';

    expect(sessionClientOf(event).ipAddress).toBeUndefined();
  });
});
