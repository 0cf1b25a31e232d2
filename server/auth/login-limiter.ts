/**
 * Password-attempt limits, shared by every way to sign in with a password (REST /login, the
 * OIDC login form, the password grant) and by every process (the counters live in Redis).
 *
 * Design (CONTRACT.md, "Password attempts": guessing is bounded and nobody can lock another
 * person out). Two counters per realm, each a fixed window of 15 minutes from the attempt that
 * creates it:
 * - per username *and* client address: 10 failures. This bounds guessing one account's password
 *   from one place. Failures at one address never stop the same user at another, so a stranger
 *   who knows your username cannot lock you out; the price is that an attacker holding many
 *   addresses gets 10 guesses per 15 minutes at each of them (a strong password and Argon2id
 *   are what hold there; a lock per username across addresses would hand everyone the lockout
 *   back, which is why there is none).
 * - per client address, any username: 100 failures (ten users' worth). This bounds spraying
 *   one common password over many usernames. A success gives its reservation back, so people
 *   signing in normally never use it up; and it does not stop a username at an address it
 *   signed in from within FAMILIAR_FOR_DAYS (a familiar address), so a spray from behind an
 *   office NAT cannot lock out the people who sign in there every day — only newcomers to that
 *   address wait for the window.
 *
 * An attempt is reserved *before* its password is checked: one script (login-reserve-3.lua)
 * refuses past either limit or counts the attempt in both, so that parallel guesses cannot all
 * pass a check before any is counted, and a refused attempt never reaches the hash. A failure
 * keeps its reservation; a success (login-release-3.lua) clears that username's failures at that
 * address and returns the address's one.
 *
 * The client address is `req.ip`, which believes X-Forwarded-For only with VIGIL_TRUST_PROXY. An
 * IPv6 address counts by its /64 (one subscriber usually holds a whole /64, and could otherwise
 * take a fresh budget for every guess). Keys hold a digest of the typed username, not the text:
 * it is often a password typed into the wrong box.
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { LoginReserve } from '../redis/results.js';

export const LOGIN_WINDOW_SECONDS = 900;
export const MAX_FAILURES_PER_USER_AT_ADDRESS = 10;
export const MAX_FAILURES_PER_ADDRESS = 100;
/** How long a successful sign-in makes its address familiar to that username. */
export const FAMILIAR_FOR_DAYS = 30;

export type Reservation =
  | { reserved: true }
  | { reserved: false; /** seconds */ retryAfter: number; limit: 'user-at-address' | 'address' };

/** What the limits count as one client address: an IPv4 address, or an IPv6 address's /64. */
export function limitAddress(ip: string): string {
  const address = ip.split('%')[0]!; // a zone index names the interface, not the peer
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const h = groups(head!);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export class LoginLimiter {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  private ids(realm: string, username: string, ip: string): [string, string, string] {
    const digest = createHash('sha256').update(username.toLowerCase()).digest('base64url').slice(0, 22);
    const address = limitAddress(ip);
    return this.keys.script.loginReserve(realm, digest, address);
  }

  /** Counts one attempt before its password is checked, or refuses it (nothing counted). */
  async reserve(realm: string, username: string, ip: string): Promise<Reservation> {
    const [status, ms] = await this.redis.loginReserve(
      ...this.ids(realm, username, ip), MAX_FAILURES_PER_USER_AT_ADDRESS, MAX_FAILURES_PER_ADDRESS, LOGIN_WINDOW_SECONDS * 1000,
    );
    if (Number(status) === LoginReserve.Reserved) return { reserved: true };
    return { reserved: false, retryAfter: Math.max(1, Math.ceil(Number(ms) / 1000)), limit: Number(status) === LoginReserve.Address ? 'address' : 'user-at-address' };
  }

  /** The reserved attempt signed in: its reservation is given back. A failure keeps it. */
  async succeeded(realm: string, username: string, ip: string): Promise<void> {
    await this.redis.loginRelease(...this.ids(realm, username, ip), FAMILIAR_FOR_DAYS * 86_400_000);
  }
}
