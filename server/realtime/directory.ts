/**
 * Who is connected (`GET /connections`, `DELETE /connections/{id}`): every node describes its
 * own real-time connections in Redis, and closes one of them when an admin on any node asks.
 *
 * Where the descriptions live, and why:
 * - One hash per realm and node (`keys.nodeConnections`), a field per connection, with a TTL
 *   the node refreshes every REFRESH_MS: a node that is SIGKILLed takes nothing with it, and
 *   its entries vanish within TTL_MS without anyone cleaning up. The realm's node index
 *   (`keys.connectionNodes`, node → last refresh) says whose hashes to read; a listing reads
 *   only fresh nodes' hashes and drops the stale index fields.
 * - Written when a connection is attached (after hello), when its topics change, and when it
 *   goes: never per message. Changes are coalesced per tick (a subscribe unsubscribes the old
 *   one first; a detach drops every topic), so each is one HSET or one HDEL, all of a tick's in
 *   one pipeline per realm. Should a write fail (Redis away), the next refresh, finding the
 *   hash's length not what this node holds, writes its entries afresh.
 * - A close for a connection on another node goes over pub/sub to that node's own channel
 *   (`keys.connectionCommands`): a rare admin action, so one subscriber connection per process
 *   beats polling a list. The asking node then waits (up to CLOSE_WAIT_MS) until the entry is
 *   gone, so that a listing right after the DELETE no longer shows it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { CLOSE, type ConnectionInfo } from '../../shared/protocol.js';
import type { RealtimeClient } from './client.js';
import type { Hub } from './hub.js';

const REFRESH_MS = 10_000;
const TTL_MS = 30_000;
const CLOSE_WAIT_MS = 3000;
export const CLOSED_BY_ADMIN = 'disconnected by an admin';

interface Local {
  id: string;
  realm: string;
  client: RealtimeClient;
  /** Whether its entry is in Redis (a detached one that never was needs no HDEL). */
  written: boolean;
}

export interface DirectoryLog {
  warn(o: object, m: string): void;
}

export class ConnectionDirectory {
  private readonly local = new Map<RealtimeClient, Local>();
  private readonly byId = new Map<string, Local>();
  private readonly dirty = new Set<RealtimeClient>();
  private flushing: Promise<void> | null = null;
  private refresher: NodeJS.Timeout | null = null;
  private subscriber: Redis | null = null;
  private stopped = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly hub: Hub,
    private readonly nodeId: string,
    private readonly log: DirectoryLog,
  ) {
    hub.watch((client) => this.changed(client));
  }

  /** Starts refreshing this node's entries and listening for closes asked by other nodes. */
  async start(subscriber: Redis): Promise<void> {
    this.subscriber = subscriber;
    const channel = this.keys.connectionCommands(this.nodeId);
    subscriber.on('message', (ch: string, message: string) => {
      if (ch !== channel) return;
      let asked: { realm?: unknown; id?: unknown };
      try {
        asked = JSON.parse(message) as typeof asked;
      } catch {
        return this.log.warn({ channel }, 'a connection close that is not JSON; ignored');
      }
      if (typeof asked?.realm === 'string' && typeof asked.id === 'string') this.closeLocal(asked.realm, asked.id);
    });
    await subscriber.subscribe(channel);
    this.refresher = setInterval(() => void this.refresh().catch(() => {}), REFRESH_MS);
    this.refresher.unref();
  }

  /** Stops, and withdraws this node's entries. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.refresher) clearInterval(this.refresher);
    this.subscriber?.disconnect();
    const realms = new Set([...this.local.values()].map((l) => l.realm));
    this.local.clear();
    this.byId.clear();
    this.dirty.clear();
    await Promise.all([...realms].map((realm) =>
      this.redis.pipeline().del(this.keys.nodeConnections(realm, this.nodeId)).hdel(this.keys.connectionNodes(realm), this.nodeId).exec().catch(() => {})));
  }

  private changed(client: RealtimeClient): void {
    if (!client.principal || this.stopped) return;
    if (!this.local.has(client)) {
      if (!this.hub.isAttached(client)) return;
      const entry: Local = { id: `c_${randomBytes(9).toString('base64url')}`, realm: client.principal.realm, client, written: false };
      this.local.set(client, entry);
      this.byId.set(entry.id, entry);
    }
    this.dirty.add(client);
    if (!this.flushing) this.flushing = new Promise((r) => setImmediate(r)).then(() => this.flush());
  }

  /** Writes the tick's changes: one HSET per connection changed, one HDEL per one gone. */
  async flushed(): Promise<void> {
    await this.flushing;
  }

  private async flush(): Promise<void> {
    this.flushing = null;
    // one pipeline per realm: a realm's keys share one Redis Cluster slot, different realms do not
    const byRealm = new Map<string, { p: ReturnType<Redis['pipeline']>; written: boolean }>();
    for (const client of this.dirty) {
      const l = this.local.get(client)!;
      const key = this.keys.nodeConnections(l.realm, this.nodeId);
      let batch = byRealm.get(l.realm);
      if (!batch) byRealm.set(l.realm, (batch = { p: this.redis.pipeline(), written: false }));
      if (this.hub.isAttached(client)) {
        batch.p.hset(key, l.id, JSON.stringify(this.describe(l)));
        batch.written = l.written = true;
      } else {
        this.local.delete(client);
        this.byId.delete(l.id);
        if (l.written) batch.p.hdel(key, l.id);
      }
    }
    this.dirty.clear();
    await Promise.all([...byRealm].map(async ([realm, { p, written }]) => {
      if (written) this.touch(p, realm);
      if (p.length) await p.exec().catch((err: Error) => this.log.warn({ realm, err: err.message }, 'connection list not written; the next refresh writes it'));
    }));
  }

  private touch(p: ReturnType<Redis['pipeline']> | ReturnType<Redis['multi']>, realm: string): void {
    p.pexpire(this.keys.nodeConnections(realm, this.nodeId), TTL_MS).hset(this.keys.connectionNodes(realm), this.nodeId, String(Date.now()));
  }

  /** Every REFRESH_MS: keeps this node's hashes alive, and writes one afresh if it is not what this node holds. */
  async refresh(): Promise<void> {
    const byRealm = new Map<string, Local[]>();
    for (const l of this.local.values()) {
      if (!l.written) continue;
      let list = byRealm.get(l.realm);
      if (!list) byRealm.set(l.realm, (list = []));
      list.push(l);
    }
    await Promise.all([...byRealm].map(async ([realm, list]) => {
      const key = this.keys.nodeConnections(realm, this.nodeId);
      const p = this.redis.pipeline().hlen(key);
      this.touch(p, realm);
      const [[, held] = []] = (await p.exec()) ?? [];
      if (held === list.length) return;
      // not what this node holds (a write failed, or Redis restarted empty): written afresh, at once
      const again = this.redis.multi().del(key).hset(key, Object.fromEntries(list.map((l) => [l.id, JSON.stringify(this.describe(l))])));
      this.touch(again, realm);
      await again.exec();
    }));
  }

  private describe(l: Local): Omit<ConnectionInfo, 'node'> {
    const c = l.client;
    const p = c.principal!;
    return {
      id: l.id, transport: c.transport, role: p.role,
      ...(p.user ? { user: { id: p.user.id, username: p.user.username } } : {}),
      ...(p.displayKeyId ? { displayKey: { id: p.displayKeyId } } : {}),
      ip: c.ip ?? '', userAgent: c.userAgent ?? null, connectedAt: new Date(c.connectedAt ?? Date.now()).toISOString(),
      topics: this.hub.topicsOf(c),
    };
  }

  /** The realm's connections on every node whose entries are fresh, oldest first. */
  async list(realm: string): Promise<ConnectionInfo[]> {
    await this.flushed();
    const nodes = await this.liveNodes(realm);
    const p = this.redis.pipeline();
    for (const node of nodes) p.hgetall(this.keys.nodeConnections(realm, node));
    const res = nodes.length ? ((await p.exec()) ?? []) : [];
    const all: ConnectionInfo[] = [];
    res.forEach(([err, hash], i) => {
      if (err) throw err;
      for (const v of Object.values(hash as Record<string, string>)) all.push({ ...(JSON.parse(v) as Omit<ConnectionInfo, 'node'>), node: nodes[i]! });
    });
    return all.sort((a, b) => a.connectedAt.localeCompare(b.connectedAt) || a.id.localeCompare(b.id));
  }

  /** Nodes that refreshed their entries within TTL_MS (this one always); stale index fields are dropped. */
  private async liveNodes(realm: string): Promise<string[]> {
    const index = await this.redis.hgetall(this.keys.connectionNodes(realm));
    const now = Date.now();
    const stale = Object.keys(index).filter((n) => n !== this.nodeId && now - Number(index[n]) > TTL_MS);
    if (stale.length) void this.redis.hdel(this.keys.connectionNodes(realm), ...stale).catch(() => {});
    return Object.keys(index).filter((n) => !stale.includes(n));
  }

  /**
   * Closes one connection of the realm with 4403, on whichever node holds it; false when there
   * is no such connection. Resolves once its entry is gone (or after CLOSE_WAIT_MS).
   */
  async close(realm: string, id: string): Promise<boolean> {
    if (this.closeLocal(realm, id)) {
      await this.flushed();
      return true;
    }
    const nodes = (await this.liveNodes(realm)).filter((n) => n !== this.nodeId);
    const p = this.redis.pipeline();
    for (const node of nodes) p.hexists(this.keys.nodeConnections(realm, node), id);
    const res = nodes.length ? ((await p.exec()) ?? []) : [];
    const node = nodes.find((_, i) => res[i]?.[1] === 1);
    if (!node) return false;
    const key = this.keys.nodeConnections(realm, node);
    await this.redis.publish(this.keys.connectionCommands(node), JSON.stringify({ realm, id }));
    for (const until = Date.now() + CLOSE_WAIT_MS; Date.now() < until;) {
      if (!(await this.redis.hexists(key, id))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  private closeLocal(realm: string, id: string): boolean {
    const l = this.byId.get(id);
    if (!l || l.realm !== realm) return false;
    l.client.close(CLOSE.FORBIDDEN, CLOSED_BY_ADMIN);
    return true;
  }
}
