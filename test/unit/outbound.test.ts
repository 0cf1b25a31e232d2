/**
 * The pure parts of outbound delivery: which addresses a delivery may not reach (SSRF), which
 * registered URLs are refused as written, event-name patterns, the retry backoff's shape.
 */
import { describe, expect, it } from 'vitest';
import { destinationProblem, isPrivateAddress } from '../../server/outbound/ssrf.js';
import { eventMatches } from '../../shared/protocol.js';
import { DEFAULT_OUTBOUND_OPTIONS, retryDelay } from '../../server/outbound/delivery.js';

describe('private addresses', () => {
  it.each([
    '127.0.0.1', '127.255.0.1', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:7f00:1', '[::1]', '64:ff9b::10.0.0.1',
  ])('refuses %s', (a) => expect(isPrivateAddress(a)).toBe(true));

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (a) => expect(isPrivateAddress(a)).toBe(false));
});

describe('registered destinations', () => {
  it('refuses what is not an http(s) URL, or carries credentials', () => {
    expect(destinationProblem('ftp://example.com/x', false)).toMatch(/http/);
    expect(destinationProblem('not a url', false)).toMatch(/absolute/);
    expect(destinationProblem('https://user:pw@example.com/', false)).toMatch(/password/);
  });

  it('refuses literal private addresses and localhost unless private destinations are allowed', () => {
    expect(destinationProblem('http://127.0.0.1:9000/hook', false)).toMatch(/VIGIL_WEBHOOK_ALLOW_PRIVATE/);
    expect(destinationProblem('http://localhost/hook', false)).toMatch(/loopback/);
    expect(destinationProblem('http://[fd00::1]/hook', false)).toMatch(/private/);
    expect(destinationProblem('http://127.0.0.1:9000/hook', true)).toBeNull();
    // a name is checked when it is resolved, at each delivery
    expect(destinationProblem('https://hooks.example.com/vigil?token=x', false)).toBeNull();
  });
});

describe('event patterns', () => {
  it('match a name exactly, or every name a `…*` pattern starts', () => {
    expect(eventMatches('session.*', 'session.started')).toBe(true);
    expect(eventMatches('session.*', 'sessions.x')).toBe(false);
    expect(eventMatches('login.failed', 'login.failed')).toBe(true);
    expect(eventMatches('login.failed', 'login.failed.more')).toBe(false);
    expect(eventMatches('*', 'webhook.disabled')).toBe(true);
  });
});

describe('retry backoff', () => {
  it('starts at a second, doubles, waits at most an hour between attempts, for up to a day', () => {
    const waits = Array.from({ length: 16 }, (_, i) => retryDelay(i + 1, DEFAULT_OUTBOUND_OPTIONS));
    expect(waits.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(waits[11]).toBe(2048_000);
    expect(waits.slice(12)).toEqual([3600_000, 3600_000, 3600_000, 3600_000]);
    expect(DEFAULT_OUTBOUND_OPTIONS.retryWindowMs).toBe(24 * 3600_000);
  });
});
