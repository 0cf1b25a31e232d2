/**
 * Display keys: long-lived, revocable viewer credentials for wall displays. Shown once at
 * creation; stored as a SHA-256 → id index plus a metadata hash.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import type { DisplayKey } from '../../shared/protocol.js';
import { vigilError } from '../errors.js';
import { DISPLAY_KEY_PREFIX, hashToken, newId, newToken } from '../sessions/tokens.js';
import { iso } from '../sessions/format.js';

export class DisplayKeyStore {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  async create(realm: string, name: unknown, createdBy: string): Promise<DisplayKey> {
    if (name !== undefined && (typeof name !== 'string' || name.length > 100)) {
      throw vigilError('VIGIL_ERR_VALIDATION', 'name must be a string of at most 100 characters');
    }
    const id = newId('dk_', 9);
    const key = newToken(DISPLAY_KEY_PREFIX);
    const now = Date.now();
    await this.redis
      .multi()
      .hset(this.keys.displayKey(realm, id), { id, name: (name as string | undefined) || 'Wall display', createdAt: String(now), createdBy, hash: hashToken(key) })
      .hset(this.keys.displayKeyHashes(realm), hashToken(key), id)
      .zadd(this.keys.displayKeys(realm), now, id)
      .exec();
    return { ...(await this.get(realm, id))!, key };
  }

  async get(realm: string, id: string): Promise<DisplayKey | null> {
    const h = await this.redis.hgetall(this.keys.displayKey(realm, id));
    if (!h.id) return null;
    return { id: h.id, name: h.name!, createdAt: iso(h.createdAt), createdBy: h.createdBy! };
  }

  async list(realm: string): Promise<DisplayKey[]> {
    const ids = await this.redis.zrange(this.keys.displayKeys(realm), 0, -1);
    const out: DisplayKey[] = [];
    for (const id of ids) {
      const k = await this.get(realm, id);
      if (k) out.push(k);
    }
    return out;
  }

  /** The key's id, or null when the key is unknown or revoked. */
  async resolve(realm: string, key: string): Promise<string | null> {
    return this.redis.hget(this.keys.displayKeyHashes(realm), hashToken(key));
  }

  async revoke(realm: string, id: string): Promise<boolean> {
    const hash = await this.redis.hget(this.keys.displayKey(realm, id), 'hash');
    if (!hash) return false;
    await this.redis.multi().hdel(this.keys.displayKeyHashes(realm), hash).del(this.keys.displayKey(realm, id)).zrem(this.keys.displayKeys(realm), id).exec();
    return true;
  }
}
