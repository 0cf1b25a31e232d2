/**
 * The wall display's counters (`GET /stats`): live sessions by kind and in warning (kept by the
 * session scripts in the realm's `count` hash), lifecycle events in the last hour (per-minute
 * counter hashes), and the real-time clients connected to the realm on every node — each process
 * reports its own count every few seconds, and fresh reports are summed.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { SESSION_KINDS, type SessionKind, type Stats } from '../../shared/protocol.js';
import type { RealmStore } from './store.js';

const REPORT_EVERY_MS = 5000;
/** A node's report older than this is a node that went away. */
const REPORT_FRESH_MS = 15_000;

export class StatsService {
  private reporter: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly realms: RealmStore,
    private readonly nodeId: string,
    /** This process's real-time clients of a realm. */
    private readonly localClients: (realm: string) => number,
  ) {}

  async get(realm: string): Promise<Stats> {
    const counts = await this.redis.hgetall(this.keys.counts(realm));
    const byKind = Object.fromEntries(SESSION_KINDS.map((k) => [k, Math.max(0, Number(counts[k] ?? 0))])) as Record<SessionKind, number>;
    const minute = Math.floor(Date.now() / 60000);
    const p = this.redis.pipeline();
    for (let m = minute - 59; m <= minute; m++) p.hgetall(this.keys.counters(realm, m));
    const sum: Record<string, number> = {};
    for (const [, h] of (await p.exec()) ?? []) for (const [k, v] of Object.entries(h as Record<string, string>)) sum[k] = (sum[k] ?? 0) + Number(v);
    return {
      active: byKind.console + byKind.sso + byKind.offline,
      warning: Math.max(0, Number(counts.warning ?? 0)),
      byKind,
      lastHour: {
        started: sum['session.started'] ?? 0,
        logins: sum['login.succeeded'] ?? 0,
        expired: sum['session.expired'] ?? 0,
        terminated: sum['session.terminated'] ?? 0,
        ended: sum['session.ended'] ?? 0,
      },
      connectedClients: await this.connectedClients(realm),
      serverTime: new Date().toISOString(),
    };
  }

  private async connectedClients(realm: string): Promise<number> {
    const all = await this.redis.hgetall(this.keys.connectionCounts(realm));
    let n = this.localClients(realm);
    for (const [node, v] of Object.entries(all)) {
      if (node === this.nodeId) continue;
      const [count, at] = v.split(':').map(Number);
      if (Date.now() - at! < REPORT_FRESH_MS) n += count!;
    }
    return n;
  }

  /** Starts reporting this process's client counts for the other nodes' stats. */
  startReporting(): void {
    this.reporter = setInterval(() => {
      void (async () => {
        for (const realm of await this.realms.list()) {
          await this.redis.hset(this.keys.connectionCounts(realm), this.nodeId, `${this.localClients(realm)}:${Date.now()}`);
        }
      })().catch(() => {}); // a missed report only ages out; the next one comes in 5 s
    }, REPORT_EVERY_MS);
    this.reporter.unref();
  }

  /** Stops reporting and withdraws this process's reports. */
  async stopReporting(): Promise<void> {
    if (this.reporter) clearInterval(this.reporter);
    for (const realm of await this.realms.list().catch(() => [])) {
      await this.redis.hdel(this.keys.connectionCounts(realm), this.nodeId).catch(() => {});
    }
  }
}
