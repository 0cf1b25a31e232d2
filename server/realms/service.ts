/**
 * Realm lifecycle (realm management, /api/v1/realms): a realm is created with its policy and,
 * optionally, its first admin — all or nothing — and removed with everything under its `{realm}`
 * key base: its sessions end with their final events first, so every process delivers them and
 * closes the realm's connections, walls included.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { deleteMatching } from '../redis/purge.js';
import type { SessionEngine } from '../sessions/engine.js';
import type { UserStore } from '../users/store.js';
import type { RealmPolicy } from '../../shared/policy.js';
import { vigilError } from '../errors.js';
import type { RealmStore } from './store.js';

/** The realm whose admins manage realms; it cannot be deleted. */
export const ROOT_REALM = 'default';
/** How long a deleted realm's event stream outlives it, so every process delivers its final events. */
const DELETED_STREAM_TTL_SECONDS = 300;

export class RealmService {
  private readonly removedListeners: Array<(realm: string) => void> = [];

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly realms: RealmStore,
    private readonly users: UserStore,
    private readonly engine: SessionEngine,
  ) {}

  /** Called with each removed realm (e.g. to drop what a process caches about it). */
  onRemoved(listener: (realm: string) => void): void {
    this.removedListeners.push(listener);
  }

  /** Creates a realm and its first admin; a realm whose admin cannot be made is removed again. */
  async create(realm: string, policy: Partial<RealmPolicy>, admin: { username: string; password: string } | undefined, by: string): Promise<{ policy: RealmPolicy; admin: { username: string } | null }> {
    if ((await this.realms.exists(realm)) || !(await this.realms.create(realm, policy))) throw vigilError('VIGIL_ERR_CONFLICT', `realm ${realm} already exists`);
    let adminUser: string | null = null;
    if (admin) {
      try {
        const p = await this.realms.policy(realm);
        adminUser = (await this.users.create(realm, { ...admin, roles: ['admin'] }, p.defaultTokenLifetime)).username;
      } catch (err) {
        await this.purge(realm, by); // no half-made realm is left behind
        throw err;
      }
    }
    await this.engine.emit(ROOT_REALM, 'realm.created', { realm, by: { username: by } });
    return { policy: await this.realms.policy(realm), admin: adminUser ? { username: adminUser } : null };
  }

  /** Deletes a realm (not the root realm); returns how many sessions it ended. */
  async remove(realm: string, by: string): Promise<number> {
    if (realm === ROOT_REALM) throw vigilError('VIGIL_ERR_CONFLICT', `realm ${ROOT_REALM} cannot be deleted`);
    if (!(await this.realms.exists(realm))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`);
    const terminated = await this.purge(realm, by);
    await this.engine.emit(ROOT_REALM, 'realm.deleted', { realm, terminated, by: { username: by } });
    return terminated;
  }

  /**
   * Terminates every session of the realm, announces the deletion on the realm's own stream,
   * and deletes every key under its base but the stream, which expires a few minutes later.
   */
  private async purge(realm: string, by: string | null): Promise<number> {
    await this.redis.srem(this.keys.realms(), realm); // no new logins from here on
    const terminated = await this.engine.terminateMany(realm, await this.engine.sessionIds(realm), 'admin', by);
    await this.engine.emit(realm, 'realm.deleted', { realm, by: by ? { username: by } : null });
    const stream = this.keys.events(realm);
    await deleteMatching(this.redis, this.keys.realmPattern(realm), (k) => k === stream);
    await this.redis.expire(stream, DELETED_STREAM_TTL_SECONDS);
    for (const l of this.removedListeners) l(realm);
    return terminated;
  }
}
