import { describe, expect, it } from 'vitest';
import { describeSecurityEvent } from '../../web/pages/security-events';

const device = (userAgent: string | undefined) => (userAgent?.includes('Chrome') ? 'Chrome on Linux' : 'Unknown device');
const at = '2026-12-03T07:00:00.000Z';

describe('the pages\' security activity sentences', () => {
  it.each([
    [{ type: 'signed_in', method: 'password', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130' }, 'Signed in from Chrome on Linux'],
    [{ type: 'signed_in', method: 'password', newDevice: true, userAgent: 'Chrome' }, 'Signed in from Chrome on Linux (new device)'],
    [{ type: 'signed_in', method: 'totp', userAgent: 'Chrome' }, 'Signed in from Chrome on Linux with a two-factor code'],
    [{ type: 'signed_in', method: 'passkey', userAgent: 'Chrome' }, 'Signed in from Chrome on Linux with a passkey'],
    [{ type: 'signed_in', method: 'email', userAgent: 'Chrome' }, 'Signed in from Chrome on Linux with an email link or code'],
    [{ type: 'passkey_added' }, 'A passkey was added'],
    [{ type: 'passkey_removed' }, 'A passkey was removed'],
    [{ type: 'password_changed' }, 'Password changed'],
    [{ type: 'roles_changed', actor: 'arn:aws:iam::1:user/a', roles: ['support'] }, 'Roles changed by an administrator to support'],
    [{ type: 'account_disabled', actor: 'arn:aws:iam::1:user/a' }, 'Account disabled by an administrator'],
    [{ type: 'something_new' }, 'Account event: something new'],
  ])('%j reads "%s"', (event, sentence) => {
    expect(describeSecurityEvent({ id: 'e1', at, ...event }, device)).toBe(sentence);
  });
});
