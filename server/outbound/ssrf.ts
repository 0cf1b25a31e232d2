/**
 * Server-side request forgery guard for outbound deliveries (webhooks, back-channel logout):
 * a destination may not be a private, loopback, link-local, unique-local, multicast or cloud
 * metadata address. A literal address is refused when the URL is registered; a name is resolved
 * at each delivery, every address it resolves to is checked, and the request is pinned to the
 * checked address (the `lookup` below), so that a DNS answer that changes between check and
 * connect (DNS rebinding) cannot reach an inner address. VIGIL_WEBHOOK_ALLOW_PRIVATE lifts it.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** Whether an address (v4 or v6, brackets allowed) is one a delivery must not reach. */
export function isPrivateAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(a);
  if (family === 4) return blocked.check(a, 'ipv4');
  if (family !== 6) return false;
  // an IPv4 address inside IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d) is that IPv4 address
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1];
  if (embedded) return blocked.check(embedded, 'ipv4');
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (hex) {
    const n = (parseInt(hex[1]!, 16) << 16) | parseInt(hex[2]!, 16);
    return blocked.check([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), 'ipv4');
  }
  return blocked.check(a, 'ipv6');
}

/**
 * Why a URL cannot be a delivery destination as registered, or null when it can: it must be an
 * absolute http(s) URL without credentials, and — unless private destinations are allowed — not
 * a literal private address or `localhost`.
 */
export function destinationProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash) return 'must not have a fragment';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isPrivateAddress(host)) return `must not be a private, loopback or link-local address (${host}); set VIGIL_WEBHOOK_ALLOW_PRIVATE=1 to allow it`;
  if (host === 'localhost' || host.endsWith('.localhost')) return `must not be a loopback name (${host}); set VIGIL_WEBHOOK_ALLOW_PRIVATE=1 to allow it`;
  return null;
}

export class RefusedDestination extends Error {
  override name = 'RefusedDestination';
}

/**
 * Resolves a destination's host and checks every address; returns a `lookup` for the request
 * that answers the checked address only (pinning it). Throws RefusedDestination.
 */
export async function pinnedLookup(hostname: string, allowPrivate: boolean): Promise<LookupFunction> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await dnsLookup(host, { all: true, verbatim: true });
  if (!addresses.length) throw new RefusedDestination(`${host} does not resolve`);
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new RefusedDestination(`refused: ${host} resolves to ${bad.address}, a private or loopback address (VIGIL_WEBHOOK_ALLOW_PRIVATE is off)`);
  }
  const { address, family } = addresses[0]!;
  return ((_name: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as LookupFunction;
}
