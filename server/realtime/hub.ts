/**
 * The subscription hub: one per process, shared by the raw WebSocket and Socket.IO adapters.
 * Each realm with subscribers has one reader (XREAD BLOCK on the realm's stream), so the
 * Redis cost is one read per process, not per client; each batch is serialized once per
 * audience and the same frame goes to every client of that audience.
 *
 * A client that stops reading never grows memory without bound: once congested it is sent
 * nothing more for its topics — no events, and no snapshot or replay for a subscribe either —
 * and, when it has drained, gets one fresh snapshot per topic.
 *
 * The `stats` topic is not a stream topic: its subscribers are `statsFeeds`' (stats-feed.ts),
 * one computation per realm per second for all of them.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import type { SessionEngine } from '../sessions/engine.js';
import { compareStreamIds, formatEvent, formatSession } from '../sessions/format.js';
import { FINAL_EVENTS, CLOSE, isCredentialEvent, sessionMatches, type Session, type SessionDetail, type SessionFilter, type Topic, type VigilEvent } from '../../shared/protocol.js';
import { hasRole } from '../auth/principal.js';
import { Frame, type RealtimeClient } from './client.js';
import type { Metrics } from '../metrics.js';
import { FailureLog } from '../redis/connect.js';
import { StatsFeeds, type StatsSource } from './stats-feed.js';

const READ_COUNT = 2000;
const BLOCK_MS = 2000;
const REPLAY_PAGE = 1000;
const MAX_PENDING = 20_000;
const DRAIN_CHECK_MS = 250;

type SubState = 'catching-up' | 'live' | 'stale';

interface Subscription {
  client: RealtimeClient;
  topic: Topic;
  realm: string;
  /** For `self`: the session followed. */
  sessionId: string | null;
  state: SubState;
  /** The last event id this subscriber has been given (or that its snapshot covers). */
  after: string;
  pending: VigilEvent[];
  /** An admin's subscription: it also gets the events about credentials. */
  admin: boolean;
  /** While stale: the snapshot owed once the client drains (`resync`, and the subscribe's `ref`). */
  owed: { resync: boolean; ref: unknown };
  /** For `sessions`: only matching sessions' events (and none of the realm's other events). */
  filter: SessionFilter | null;
  /** For `sessions`: whole sessions in every event, or only what changed (`session.started` whole). */
  detail: SessionDetail;
  /** The audience key: subscribers with the same one get the same frame of a batch. */
  audience: string;
}

/** Sessions `known` keeps at most; past it, it starts again (their next events go whole). */
const MAX_KNOWN = 200_000;

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && JSON.stringify(a) === JSON.stringify(b));
}

/**
 * A batch as `changes` subscribers get it: each event (by identity) → the event with `session`
 * as `{id, …the fields that changed since the session's previous event}`, whole for
 * `session.started` and for a session this node has not seen yet; `null` for a
 * `session.activity` that a later one in the same batch carries (coalesced). Updates `known`.
 */
function changesOf(f: RealmFeed, events: VigilEvent[]): Map<VigilEvent, VigilEvent | null> {
  const out = new Map<VigilEvent, VigilEvent | null>();
  const lastActivity = new Map<string, VigilEvent>();
  for (const e of events) if (e.name === 'session.activity' && e.sessionId) lastActivity.set(e.sessionId, e);
  if (f.known.size > MAX_KNOWN) f.known.clear();
  for (const e of events) {
    if (e.name === 'session.activity' && e.sessionId && lastActivity.get(e.sessionId) !== e) {
      out.set(e, null);
      continue;
    }
    const s = e.session;
    if (!s) {
      out.set(e, e);
      continue;
    }
    const prev = f.known.get(s.id);
    if (FINAL_EVENTS.includes(e.name)) f.known.delete(s.id);
    else f.known.set(s.id, s);
    if (!prev || e.name === 'session.started') {
      out.set(e, e);
      continue;
    }
    const diff: Record<string, unknown> = { id: s.id };
    for (const [k, v] of Object.entries(s)) if (!sameValue(v, (prev as unknown as Record<string, unknown>)[k])) diff[k] = v;
    out.set(e, { ...e, session: diff as unknown as Session });
  }
  return out;
}

/** Whether a filtered subscriber gets an event: a session event of a matching session. */
function passes(filter: SessionFilter, e: VigilEvent): boolean {
  return e.session !== null && sessionMatches(filter, e.session);
}

class RealmFeed {
  lastId = '$';
  /** `changes` subscribers of the realm on this node; while there are any, `known` is kept. */
  changesSubscribers = 0;
  /** Each session as its last event carried it: what a `changes` event is the difference from. */
  readonly known = new Map<string, Session>();
  readonly sessions = new Set<Subscription>();
  readonly self = new Map<string, Set<Subscription>>();
  readonly clients = new Set<RealtimeClient>();
  running = false;
  /** Settles once the feed knows where the stream stands; rejects if it could not start. */
  started: Promise<RealmFeed> | null = null;
  constructor(readonly realm: string, readonly conn: Redis) {}
  get idle(): boolean {
    return this.sessions.size === 0 && this.self.size === 0 && this.clients.size === 0;
  }
}

export interface HubLog {
  error(o: object, m: string): void;
  warn(o: object, m: string): void;
}

export class Hub {
  private readonly feeds = new Map<string, RealmFeed>();
  private readonly subs = new Map<RealtimeClient, Map<Topic, Subscription>>();
  private readonly stale = new Set<Subscription>();
  private readonly drainTimer: NodeJS.Timeout;
  private closed = false;
  private readonly failures: FailureLog;
  /** The `stats` topic's subscribers; the realms plugin wires in where the counters come from. */
  readonly statsFeeds: StatsFeeds;
  /** Told when a client is attached, detached, or its topics change (realtime/directory.ts); never per event. */
  private watcher: ((client: RealtimeClient) => void) | null = null;

  /**
   * `openReader` opens a realm feed's own connection for its XREAD BLOCK (one per realm with
   * clients): no command timeout shorter than the BLOCK, and it waits out an outage
   * (server/redis/connect.ts 'blocking').
   */
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly engine: SessionEngine,
    private readonly metrics: Metrics,
    log: HubLog,
    private readonly openReader: () => Redis,
    /** The `stats` topic's counters for a realm (realms/stats.ts). */
    statsOf: StatsSource,
  ) {
    this.failures = new FailureLog(log);
    this.statsFeeds = new StatsFeeds(log, statsOf);
    this.drainTimer = setInterval(() => this.checkDrained(), DRAIN_CHECK_MS);
    this.drainTimer.unref();
  }

  /** Connected clients on this process, per realm. */
  clientCount(realm?: string): number {
    if (realm) return this.feeds.get(realm)?.clients.size ?? 0;
    let n = 0;
    for (const f of this.feeds.values()) n += f.clients.size;
    return n;
  }

  watch(watcher: (client: RealtimeClient) => void): void {
    this.watcher = watcher;
  }

  isAttached(client: RealtimeClient): boolean {
    const realm = client.principal?.realm;
    return realm !== undefined && this.feeds.get(realm)?.clients.has(client) === true;
  }

  topicsOf(client: RealtimeClient): Topic[] {
    const topics: Topic[] = [...(this.subs.get(client)?.keys() ?? [])];
    if (client.principal && this.statsFeeds.has(client, client.principal.realm)) topics.push('stats');
    return topics;
  }

  /** The realm's running feed, started on first use; clients attaching meanwhile share the start. */
  private feed(realm: string): Promise<RealmFeed> {
    let f = this.feeds.get(realm);
    if (!f) {
      f = new RealmFeed(realm, this.openReader());
      this.feeds.set(realm, f);
      f.started = this.start(f);
    }
    return f.started!;
  }

  private async start(f: RealmFeed): Promise<RealmFeed> {
    try {
      f.lastId = await this.engine.cursor(f.realm);
    } catch (err) {
      // a feed that never started must not stay registered: the next client starts it afresh
      if (this.feeds.get(f.realm) === f) this.stopFeed(f);
      throw err;
    }
    void this.run(f);
    return f;
  }

  /**
   * Registers an authenticated client so that it is closed when its credential ends. Rejects
   * when the realm's feed cannot start (Redis trouble); the transport then closes the client.
   */
  async attach(client: RealtimeClient): Promise<void> {
    const realm = client.principal!.realm;
    let f = await this.feed(realm);
    // the feed may have stopped while this client waited for it (its last client left)
    if (this.feeds.get(realm) !== f) f = await this.feed(realm);
    f.clients.add(client);
    this.watcher?.(client);
  }

  detach(client: RealtimeClient): void {
    for (const topic of [...(this.subs.get(client)?.keys() ?? [])]) this.unsubscribe(client, topic);
    this.subs.delete(client);
    const realm = client.principal?.realm;
    if (realm) this.statsFeeds.unsubscribe(client, realm);
    const f = realm ? this.feeds.get(realm) : undefined;
    if (f) {
      f.clients.delete(client);
      if (f.idle) this.stopFeed(f);
    }
    this.watcher?.(client);
  }

  private stopFeed(f: RealmFeed): void {
    this.feeds.delete(f.realm);
    f.running = false;
    f.conn.disconnect();
  }

  private async run(f: RealmFeed): Promise<void> {
    f.running = true;
    const key = this.keys.events(f.realm);
    while (f.running && !this.closed) {
      try {
        const res = (await f.conn.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', key, f.lastId)) as Array<[string, Array<[string, string[]]>]> | null;
        const entries = res?.[0]?.[1];
        if (!entries?.length) continue;
        f.lastId = entries[entries.length - 1]![0];
        this.dispatch(f, entries.map(([id, fields]) => formatEvent(f.realm, id, fields)));
      } catch (err) {
        if (!f.running || this.closed) return;
        this.failures.report(err, { realm: f.realm }, 'event stream read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private dispatch(f: RealmFeed, all: VigilEvent[]): void {
    // two audiences, each batch serialized at most once for each (a Frame serializes on first send)
    const open = all.some((e) => isCredentialEvent(e.name)) ? all.filter((e) => !isCredentialEvent(e.name)) : all;
    if (f.sessions.size) {
      // the differences are taken once a batch, for every changes subscriber alike
      const changes = f.changesSubscribers ? changesOf(f, all) : null;
      // one list and one frame per audience (admin or not, filter, detail), serialized on first send
      const byAudience = new Map<string, { events: VigilEvent[]; frame: Frame }>();
      for (const sub of f.sessions) {
        let batch = byAudience.get(sub.audience);
        if (!batch) {
          let events = sub.admin ? all : open;
          if (sub.filter) events = events.filter((e) => passes(sub.filter!, e));
          if (sub.detail === 'changes' && changes) events = events.map((e) => changes.get(e)!).filter((e) => e !== null);
          byAudience.set(sub.audience, (batch = { events, frame: new Frame({ type: 'events', topic: 'sessions', events }) }));
        }
        if (batch.events.length) this.deliver(sub, batch.events, batch.frame);
      }
    }
    if (f.self.size) {
      const bySession = new Map<string, VigilEvent[]>();
      for (const e of open) {
        if (e.sessionId && f.self.has(e.sessionId)) {
          let list = bySession.get(e.sessionId);
          if (!list) bySession.set(e.sessionId, (list = []));
          list.push(e);
        }
      }
      for (const [sid, list] of bySession) {
        const frame = new Frame({ type: 'events', topic: 'self', events: list });
        for (const sub of f.self.get(sid) ?? []) this.deliver(sub, list, frame);
      }
    }
    // a credential that ended takes its connections with it, after its final event went out
    for (const e of all) {
      if (e.sessionId && FINAL_EVENTS.includes(e.name)) this.closeWhere(f, (c) => c.principal?.sessionId === e.sessionId, 'session ended');
      // an access token revoked (RFC 7009) ends the connections it opened or last refreshed
      if (e.name === 'token.revoked' && typeof e.data.jti === 'string') this.closeWhere(f, (c) => c.principal?.tokenId === e.data.jti, 'token revoked');
      if (e.name === 'display_key.revoked') this.closeWhere(f, (c) => c.principal?.displayKeyId === e.data.id, 'display key revoked');
      if (e.name === 'user.disabled') this.closeWhere(f, (c) => c.principal?.user?.id === e.data.id, 'user disabled');
      // a connection keeps the roles it was authorised with: make it reconnect to be authorised afresh
      if (e.name === 'user.updated' && Array.isArray(e.data.fields) && e.data.fields.includes('roles')) {
        this.closeWhere(f, (c) => c.principal?.user?.id === e.data.id, 'roles changed: reconnect', CLOSE.RECONNECT);
      }
      if (e.name === 'realm.deleted') this.closeWhere(f, () => true, 'realm deleted');
    }
  }

  private closeWhere(f: RealmFeed, match: (c: RealtimeClient) => boolean, reason: string, code: number = CLOSE.UNAUTHENTICATED): void {
    for (const c of [...f.clients]) {
      if (match(c)) {
        this.detach(c);
        c.close(code, reason);
      }
    }
  }

  private deliver(sub: Subscription, events: VigilEvent[], frame: Frame): void {
    if (sub.state === 'stale') return;
    if (sub.state === 'catching-up') {
      sub.pending.push(...events);
      if (sub.pending.length > MAX_PENDING) this.markStale(sub, true, undefined);
      return;
    }
    const fresh = compareStreamIds(events[0]!.id, sub.after) > 0 ? events : events.filter((e) => compareStreamIds(e.id, sub.after) > 0);
    if (!fresh.length) return;
    if (sub.client.congested()) return this.markStale(sub, true, undefined);
    sub.client.send(fresh === events ? frame : new Frame({ type: 'events', topic: sub.topic, events: fresh }));
    sub.after = fresh[fresh.length - 1]!.id;
    this.metrics.eventsDelivered.inc({ topic: sub.topic });
  }

  /**
   * Stops sending to a subscriber whose client is congested; it is owed one snapshot when the
   * client drains. A later subscribe to the topic replaces the subscription, so however many
   * arrive meanwhile, at most one snapshot per topic is ever owed.
   */
  private markStale(sub: Subscription, resync: boolean, ref: unknown): void {
    sub.state = 'stale';
    sub.pending = [];
    sub.owed = { resync, ref };
    this.stale.add(sub);
  }

  private checkDrained(): void {
    for (const sub of this.stale) {
      if (sub.client.congested()) continue;
      this.stale.delete(sub);
      this.metrics.resyncs.inc();
      void this.startSnapshot(sub, sub.owed.resync, sub.owed.ref).catch((err) => this.failures.report(err, {}, 'resync failed'));
    }
  }

  /**
   * Subscribes a client (already authorised for the topic). Without `since`: a snapshot, then
   * live events. With `since`: every event after it, then `synced`; a snapshot with
   * `resync: true` when the cursor is no longer in the stream.
   */
  async subscribe(client: RealtimeClient, topic: Topic, since: string | undefined, ref: unknown, filter: SessionFilter | null = null, detail: SessionDetail = 'full'): Promise<void> {
    const p = client.principal!;
    const f = this.feeds.get(p.realm);
    if (!f?.clients.has(client)) return; // not attached (any more): a message that outlived its connection
    if (topic === 'stats') {
      const answered = this.statsFeeds.subscribe(client, p.realm, ref); // registered before its first await
      this.watcher?.(client);
      return answered;
    }
    this.unsubscribe(client, topic);
    const admin = topic === 'sessions' && hasRole(p, 'admin');
    const sub: Subscription = {
      client, topic, realm: p.realm, sessionId: topic === 'self' ? p.sessionId : null, state: 'catching-up', after: '0-0', pending: [],
      admin, owed: { resync: false, ref: undefined }, filter, detail, audience: `${admin ? 'admin' : 'open'}:${detail}${filter ? JSON.stringify(filter) : ''}`,
    };
    let mine = this.subs.get(client);
    if (!mine) this.subs.set(client, (mine = new Map()));
    mine.set(topic, sub);
    this.watcher?.(client);
    if (topic === 'sessions') {
      f.sessions.add(sub);
      if (detail === 'changes') f.changesSubscribers++;
    } else {
      let set = f.self.get(sub.sessionId!);
      if (!set) f.self.set(sub.sessionId!, (set = new Set()));
      set.add(sub);
    }
    // a client that is not reading gets its answer once it has drained, not queued now
    if (client.congested()) return this.markStale(sub, since !== undefined, ref);
    if (since !== undefined && (await this.engine.cursorAvailable(p.realm, since))) await this.replay(sub, since, ref);
    else await this.startSnapshot(sub, since !== undefined, ref);
  }

  private isCurrent(sub: Subscription): boolean {
    return this.subs.get(sub.client)?.get(sub.topic) === sub;
  }

  private async startSnapshot(sub: Subscription, resync: boolean, ref: unknown): Promise<void> {
    sub.state = 'catching-up';
    sub.pending = [];
    const cursor = await this.engine.cursor(sub.realm);
    const ids = sub.topic === 'sessions' ? await this.engine.sessionIds(sub.realm) : [sub.sessionId!];
    const hashes = await this.engine.hashes(sub.realm, ids);
    if (!this.isCurrent(sub)) return;
    if (sub.client.congested()) return this.markStale(sub, resync, ref);
    const current = sub.client.principal?.sessionId ?? null;
    let sessions = hashes.map((h) => formatSession(sub.realm, h, current));
    if (sub.filter) sessions = sessions.filter((s) => sessionMatches(sub.filter!, s));
    if (sub.detail === 'changes') {
      // the snapshot is what this subscriber's first changes are the differences from
      const f = this.feeds.get(sub.realm);
      if (f) for (const s of sessions) if (!f.known.has(s.id)) f.known.set(s.id, s.current ? { ...s, current: false } : s);
    }
    sub.client.send(new Frame({ type: 'snapshot', topic: sub.topic, cursor, sessions, resync, ...(ref !== undefined ? { ref } : {}) }));
    sub.after = cursor;
    this.goLive(sub);
  }

  private async replay(sub: Subscription, since: string, ref: unknown): Promise<void> {
    let from = since;
    for (;;) {
      const page = (await this.redis.xrange(this.keys.events(sub.realm), `(${from}`, '+', 'COUNT', REPLAY_PAGE)) as Array<[string, string[]]>;
      if (!this.isCurrent(sub)) return;
      if (!page.length) break;
      from = page[page.length - 1]![0];
      let events = page.map(([id, fields]) => formatEvent(sub.realm, id, fields));
      if (sub.topic === 'self') events = events.filter((e) => e.sessionId === sub.sessionId);
      if (!sub.admin) events = events.filter((e) => !isCredentialEvent(e.name));
      if (sub.filter) events = events.filter((e) => passes(sub.filter!, e));
      // a long replay stops where the client stops keeping up; it gets a snapshot once drained
      if (sub.client.congested()) return this.markStale(sub, true, ref);
      if (events.length) sub.client.send(new Frame({ type: 'events', topic: sub.topic, events }));
      if (page.length < REPLAY_PAGE) break;
    }
    sub.after = compareStreamIds(from, since) > 0 ? from : since;
    if (sub.client.congested()) return this.markStale(sub, true, ref);
    this.goLive(sub);
    sub.client.send(new Frame({ type: 'synced', topic: sub.topic, cursor: sub.after, ...(ref !== undefined ? { ref } : {}) }));
  }

  private goLive(sub: Subscription): void {
    const pending = sub.pending.filter((e) => compareStreamIds(e.id, sub.after) > 0);
    sub.pending = [];
    sub.state = 'live';
    if (pending.length) this.deliver(sub, pending, new Frame({ type: 'events', topic: sub.topic, events: pending }));
  }

  unsubscribe(client: RealtimeClient, topic: Topic): boolean {
    if (topic === 'stats') {
      const was = client.principal ? this.statsFeeds.unsubscribe(client, client.principal.realm) : false;
      if (was) this.watcher?.(client);
      return was;
    }
    const sub = this.subs.get(client)?.get(topic);
    if (!sub) return false;
    this.subs.get(client)!.delete(topic);
    this.stale.delete(sub);
    this.watcher?.(client);
    const f = this.feeds.get(sub.realm);
    if (f) {
      if (topic === 'sessions') {
        f.sessions.delete(sub);
        if (sub.detail === 'changes' && --f.changesSubscribers === 0) f.known.clear();
      } else {
        const set = f.self.get(sub.sessionId!);
        set?.delete(sub);
        if (set && !set.size) f.self.delete(sub.sessionId!);
      }
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.drainTimer);
    this.statsFeeds.close();
    for (const f of [...this.feeds.values()]) this.stopFeed(f);
  }
}
