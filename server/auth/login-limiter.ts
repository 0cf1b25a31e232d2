/**
 * Counts failed password attempts per user and per address in Redis (shared by every
 * process) and refuses further attempts for the rest of the window once either passes
 * its limit.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { vigilError } from '../errors.js';

export const LOGIN_WINDOW_SECONDS = 900;
export const MAX_FAILURES_PER_USER = 10;
export const MAX_FAILURES_PER_ADDRESS = 50;

export class LoginLimiter {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  private ids(realm: string, username: string, ip: string): [string, string] {
    return [this.keys.loginFailures(realm, `u:${username.toLowerCase()}`), this.keys.loginFailures(realm, `ip:${ip}`)];
  }

  /** Throws VIGIL_ERR_RATE_LIMITED while either counter is over its limit. */
  async check(realm: string, username: string, ip: string): Promise<void> {
    const [u, a] = this.ids(realm, username, ip);
    const res = (await this.redis.multi().get(u).ttl(u).get(a).ttl(a).exec()) ?? [];
    const [uc, ut, ac, at] = res.map(([, v]) => Number(v ?? 0));
    if (uc! >= MAX_FAILURES_PER_USER) throw vigilError('VIGIL_ERR_RATE_LIMITED', Math.max(1, ut!));
    if (ac! >= MAX_FAILURES_PER_ADDRESS) throw vigilError('VIGIL_ERR_RATE_LIMITED', Math.max(1, at!));
  }

  async failed(realm: string, username: string, ip: string): Promise<void> {
    const p = this.redis.multi();
    for (const key of this.ids(realm, username, ip)) p.incr(key).expire(key, LOGIN_WINDOW_SECONDS, 'NX');
    await p.exec();
  }

  async succeeded(realm: string, username: string, ip: string): Promise<void> {
    await this.redis.del(this.ids(realm, username, ip)[0]);
  }
}
