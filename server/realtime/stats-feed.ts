/**
 * The `stats` topic: the wall display's counters (the GET /stats object), pushed at once on
 * subscribe and then at most once a second while they change.
 *
 * One feed per realm with stats subscribers on this process: while it has any, it computes the
 * counters once a second — once, however many walls watch — and only when they differ from what
 * a subscriber last got (`serverTime` aside) does that subscriber get the new value, as the one
 * frame of that computation that every subscriber shares (serialized once per transport).
 * Nothing is sent while nothing changes. A congested client is skipped and gets the newest value
 * once it reads again (counters supersede each other: nothing queues up).
 *
 * The answer to a subscribe is computed after the subscribe arrived (so that it counts the
 * subscriber's own connection), and every subscribe within MIN_GAP_MS shares one computation: a
 * reconnect storm of walls costs at most 1000 / MIN_GAP_MS computations a second, not one each.
 */
import type { Stats } from '../../shared/protocol.js';
import { Frame, type RealtimeClient } from './client.js';
import { FailureLog } from '../redis/connect.js';

/** A subscriber gets at most one push per TICK_MS; the counters are computed once per TICK_MS. */
export const STATS_TICK_MS = 1000;
const MIN_GAP_MS = 100;

/** Computes a realm's counters (StatsService.get). */
export type StatsSource = (realm: string) => Promise<Stats>;

/** A computed value: its counters without `serverTime` (what "changed" compares), and its frame. */
interface Value {
  key: string;
  stats: Stats;
  frame: Frame;
}

interface Subscriber {
  client: RealtimeClient;
  /** The value it holds (null: none yet). */
  key: string | null;
  /** When it was last sent one (ms). */
  at: number;
}

class RealmStats {
  readonly subs = new Map<RealtimeClient, Subscriber>();
  timer: NodeJS.Timeout | null = null;
  /** A computation that has not started yet: whoever asks now shares it. */
  next: Promise<Value> | null = null;
  /** The computation under way. */
  running: Promise<Value> | null = null;
  lastStart = 0;
  constructor(readonly realm: string) {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StatsFeeds {
  private readonly realms = new Map<string, RealmStats>();
  private readonly failures: FailureLog;
  private closed = false;

  /** `source`: where the counters come from (realms/stats.ts StatsService.get). */
  constructor(log: { error(o: object, m: string): void; warn(o: object, m: string): void }, private readonly source: StatsSource) {
    this.failures = new FailureLog(log);
  }

  /** Stats subscribers on this process (all realms, or one). */
  subscriberCount(realm?: string): number {
    if (realm) return this.realms.get(realm)?.subs.size ?? 0;
    let n = 0;
    for (const r of this.realms.values()) n += r.subs.size;
    return n;
  }

  /**
   * Subscribes a client (already authorised) and sends it the counters at once; rejects, leaving
   * it unsubscribed, when they cannot be computed (Redis trouble). A repeat replaces the
   * subscription and is answered afresh.
   */
  async subscribe(client: RealtimeClient, realm: string, ref: unknown): Promise<void> {
    let r = this.realms.get(realm);
    if (!r) this.realms.set(realm, (r = new RealmStats(realm)));
    const sub: Subscriber = { client, key: null, at: 0 };
    r.subs.set(client, sub);
    this.schedule(r);
    let v: Value;
    try {
      v = await this.fresh(r);
    } catch (err) {
      if (r.subs.get(client) === sub) this.unsubscribe(client, realm);
      throw err;
    }
    if (r.subs.get(client) !== sub || client.congested()) return; // gone meanwhile, or gets it once drained
    sub.key = v.key;
    sub.at = Date.now();
    client.send(ref === undefined ? v.frame : new Frame({ type: 'stats', topic: 'stats', stats: v.stats, ref }));
  }

  has(client: RealtimeClient, realm: string): boolean {
    return this.realms.get(realm)?.subs.has(client) === true;
  }

  unsubscribe(client: RealtimeClient, realm: string): boolean {
    const r = this.realms.get(realm);
    if (!r?.subs.delete(client)) return false;
    if (!r.subs.size) this.stop(r);
    return true;
  }

  close(): void {
    this.closed = true;
    for (const r of [...this.realms.values()]) this.stop(r);
  }

  private stop(r: RealmStats): void {
    if (r.timer) clearTimeout(r.timer);
    r.timer = null;
    if (this.realms.get(r.realm) === r) this.realms.delete(r.realm);
  }

  private schedule(r: RealmStats): void {
    if (r.timer || !r.subs.size || this.closed) return;
    r.timer = setTimeout(() => void this.tick(r), STATS_TICK_MS);
    r.timer.unref();
  }

  /** Once a second while the realm has subscribers: one computation, one frame for all who lack it. */
  private async tick(r: RealmStats): Promise<void> {
    r.timer = null;
    if (this.realms.get(r.realm) !== r || !r.subs.size) return;
    try {
      const v = await this.fresh(r);
      const now = Date.now();
      for (const sub of r.subs.values()) {
        if (sub.key === v.key || now - sub.at < STATS_TICK_MS || sub.client.congested()) continue;
        sub.key = v.key;
        sub.at = now;
        sub.client.send(v.frame);
      }
    } catch (err) {
      this.failures.report(err, { realm: r.realm }, 'stats for the stats topic failed; retrying');
    }
    this.schedule(r);
  }

  /**
   * A value computed from a start at or after this call: the queued computation when there is
   * one, else a new one that starts once the running one is done and MIN_GAP_MS after the last
   * start.
   */
  private fresh(r: RealmStats): Promise<Value> {
    if (r.next) return r.next;
    const before = r.running;
    const next = (async () => {
      // always yields first, so `r.next` below is set before this clears it
      await before?.catch(() => {});
      const wait = r.lastStart + MIN_GAP_MS - Date.now();
      if (wait > 0) await sleep(wait);
      r.next = null; // this one (nothing queues another while one is queued): later callers need a later start
      r.lastStart = Date.now();
      const run = this.compute(r.realm);
      r.running = run;
      try {
        return await run;
      } finally {
        if (r.running === run) r.running = null;
      }
    })();
    r.next = next;
    return next;
  }

  private async compute(realm: string): Promise<Value> {
    const stats = await this.source(realm);
    const { serverTime: _, ...counters } = stats;
    return { key: JSON.stringify(counters), stats, frame: new Frame({ type: 'stats', topic: 'stats', stats }) };
  }
}
