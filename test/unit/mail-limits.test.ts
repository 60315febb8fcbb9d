import { describe, expect, it } from 'vitest';
import { mailboxOf, sourceNetworkOf } from '../../shared/auth/mail-limits';

describe('the mailbox an address counts against', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['alice+news@example.com', 'alice@example.com'],
    ['alice+a+b@example.com', 'alice@example.com'],
    ['a.lice@example.com', 'a.lice@example.com'],
    ['a.l.ice+x@gmail.com', 'alice@gmail.com'],
    ['alice@googlemail.com', 'alice@gmail.com'],
    ['+tag@example.com', '+tag@example.com'],
    ['...@gmail.com', '...@gmail.com'],
  ])('counts %s as %s', (address, mailbox) => {
    expect(mailboxOf(address)).toBe(mailbox);
  });
});

describe('the source network a request counts against', () => {
  it.each([
    ['198.51.100.23', '198.51.100.23'],
    ['::ffff:198.51.100.23', '198.51.100.23'],
    ['2001:db8:0:42:1:2:3:4', '2001:db8:0:42::/64'],
    ['2001:0DB8:0000:0042:ffff::1', '2001:db8:0:42::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1:2:3:4', 'fe80:0:0:0::/64'],
  ])('counts %s as %s', (ip, network) => {
    expect(sourceNetworkOf(ip)).toBe(network);
  });

  it.each([[undefined], [''], ['not an address'], ['1.2.3.4.5']])('counts no source for %j', (ip) => {
    expect(sourceNetworkOf(ip)).toBeUndefined();
  });
});
