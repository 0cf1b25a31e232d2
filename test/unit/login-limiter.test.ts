/** What the password-attempt limits count as one client address (server/auth/login-limiter.ts). */
import { describe, expect, it } from 'vitest';
import { limitAddress } from '../../server/auth/login-limiter.js';

describe('the client address the password limits count by', () => {
  it('is an IPv4 address as it is, also when it arrives IPv4-mapped', () => {
    expect(limitAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(limitAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(limitAddress('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it('is the /64 of an IPv6 address, so one subscriber cannot take a fresh budget per guess', () => {
    expect(limitAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(limitAddress('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(limitAddress('2001:0DB8:0001:0002:0:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(limitAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(limitAddress('::1')).toBe('0:0:0:0::/64');
    expect(limitAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(limitAddress('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
  });
});
