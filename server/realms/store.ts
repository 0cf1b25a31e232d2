/**
 * Realms and their policy. The policy is a Redis hash of plain values so that the session
 * scripts can read the fields they need (expiryPromptSeconds, idle and max limits) atomically.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { DEFAULT_POLICY, mergePolicy, type RealmPolicy } from '../../shared/policy.js';
import { vigilError } from '../errors.js';

export const REALM_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

function toHash(p: RealmPolicy): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) h[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return h;
}

function fromHash(h: Record<string, string>): RealmPolicy {
  const p = structuredClone(DEFAULT_POLICY) as unknown as Record<string, unknown>;
  for (const [k, def] of Object.entries(DEFAULT_POLICY)) {
    const raw = h[k];
    if (raw === undefined) continue;
    if (typeof def === 'boolean') p[k] = raw === 'true';
    else if (typeof def === 'number') p[k] = Number(raw);
    else if (typeof def === 'string') p[k] = raw;
    else p[k] = { ...(def as object), ...(JSON.parse(raw) as object) };
  }
  return p as unknown as RealmPolicy;
}

export class RealmStore {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  async exists(realm: string): Promise<boolean> {
    return REALM_NAME.test(realm) && (await this.redis.sismember(this.keys.realms(), realm)) === 1;
  }

  async list(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.realms())).sort();
  }

  /** Creates the realm with the default policy; returns false if it existed. */
  async create(realm: string, policy: Partial<RealmPolicy> = {}): Promise<boolean> {
    if (!REALM_NAME.test(realm)) throw vigilError('VIGIL_ERR_VALIDATION', 'realm must be 1 to 40 lowercase letters, digits, _ or -, starting with a letter or digit');
    const merged = mergePolicy(DEFAULT_POLICY, policy);
    if ('problem' in merged) throw vigilError('VIGIL_ERR_VALIDATION', merged.problem.message);
    const fresh = await this.redis.hsetnx(this.keys.policy(realm), 'expiryPromptSeconds', String(merged.policy.expiryPromptSeconds));
    if (fresh) {
      await this.redis.hset(this.keys.policy(realm), toHash(merged.policy));
      await this.clearLeftStream(realm);
    }
    await this.redis.sadd(this.keys.realms(), realm);
    return fresh === 1;
  }

  /**
   * A realm deleted a moment ago leaves its stream behind for a few minutes (its final events are
   * still being delivered). A new realm of the same name starts with none of those events and
   * without that expiry. The stream is emptied rather than deleted, and marked as having had
   * everything up to its last id deleted, so that its ids keep moving forward and a cursor from
   * the old realm is answered with a resync, never with the new realm's events as a continuation.
   */
  private async clearLeftStream(realm: string): Promise<void> {
    const stream = this.keys.events(realm);
    if (!(await this.redis.exists(stream))) return;
    const info = (await this.redis.xinfo('STREAM', stream)) as unknown[];
    const last = String(info[info.indexOf('last-generated-id') + 1]);
    await this.redis.multi().xtrim(stream, 'MAXLEN', 0).call('XSETID', stream, last, 'MAXDELETEDID', last).persist(stream).exec();
  }

  async policy(realm: string): Promise<RealmPolicy> {
    return fromHash(await this.redis.hgetall(this.keys.policy(realm)));
  }

  /** Validates and stores a patch; returns the new policy and the names of changed fields. */
  async patch(realm: string, patch: unknown): Promise<{ policy: RealmPolicy; fields: string[] }> {
    const current = await this.policy(realm);
    const merged = mergePolicy(current, patch);
    if ('problem' in merged) throw vigilError('VIGIL_ERR_VALIDATION', merged.problem.message);
    const fields = Object.keys(merged.policy).filter(
      (k) => JSON.stringify((merged.policy as unknown as Record<string, unknown>)[k]) !== JSON.stringify((current as unknown as Record<string, unknown>)[k]),
    );
    if (fields.length) await this.redis.hset(this.keys.policy(realm), toHash(merged.policy));
    return { policy: merged.policy, fields };
  }
}
