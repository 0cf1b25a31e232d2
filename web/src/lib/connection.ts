/**
 * The one real-time connection of a page, built on socket.io-client (its reconnection and
 * its HTTP long-polling fallback). Adds what Socket.IO lacks: resume of every topic from
 * its last cursor after a reconnect, clock-skew correction from `hello.serverTime`, and a
 * visible connection state. Elements share one instance per (origin, realm, credential).
 */
import { io, type Socket } from 'socket.io-client';
import type { Role, Session, Stats, Topic, VigilEvent } from '../../../shared/protocol.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface ConnectionOptions {
  realm: string;
  /** A session token or display key; omitted to use the `vigil_session` cookie. */
  token?: string;
  /** Server origin; defaults to the page's. */
  base?: string;
}

/** What a topic's subscriber is told: `sessions` / `self` snapshots and events, or `stats` counters. */
export interface TopicListener {
  snapshot?(sessions: Session[], resync: boolean): void;
  events?(events: VigilEvent[]): void;
  synced?(): void;
  /**
   * More of the subscribe message (e.g. `{detail: 'changes'}`: events then carry only what
   * changed — apply them with SessionStore, which merges). The topic's first listener sets it.
   */
  subscribe?: { detail?: 'full' | 'changes' };
  /** The `stats` topic: the counters at once, then at most once a second while they change. */
  stats?(stats: Stats): void;
}

export interface Ack {
  ok?: boolean;
  code?: string;
  message?: string;
  session?: Session;
}

/** Why the server closed the connection for good (no automatic reconnect follows). */
export interface ClosedDetail {
  reason: 'server' | 'unauthenticated';
  message: string;
}

interface TopicState {
  cursor: string | null;
  listeners: Set<TopicListener>;
  params: Record<string, unknown>;
}

const instances = new Map<string, VigilConnection>();

export class VigilConnection extends EventTarget {
  /** Returns the shared connection for these options, creating it on first use. */
  static shared(opts: ConnectionOptions): VigilConnection {
    const key = `${opts.base ?? location.origin}|${opts.realm}|${opts.token ?? 'cookie'}`;
    let c = instances.get(key);
    if (!c || c.#disposed) {
      c = new VigilConnection(opts);
      instances.set(key, c);
    }
    return c;
  }

  state: ConnectionState = 'connecting';
  role: Role | null = null;
  /** The id of the caller's own session (`hello.sessionId`); null for display keys. */
  sessionId: string | null = null;
  /** serverTime − local time, in ms, measured at `hello`. */
  skewMs = 0;
  closed: ClosedDetail | null = null;
  readonly socket: Socket;
  readonly #topics = new Map<Topic, TopicState>();
  #refs = 0;
  #disposed = false;
  #closeCode: number | null = null;
  #closeReason = '';
  #serverRetries = 0;

  constructor(readonly options: ConnectionOptions) {
    super();
    const auth: Record<string, string> = { realm: options.realm };
    if (options.token) auth.token = options.token;
    this.socket = io(options.base ?? location.origin, {
      path: '/socket.io/',
      auth,
      withCredentials: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      autoConnect: false,
    });
    const s = this.socket;
    s.on('connect', () => this.#resubscribeAll());
    s.on('hello', (m: { serverTime: string; role: Role; sessionId: string | null }) => {
      const t = Date.parse(m.serverTime);
      if (Number.isFinite(t)) this.skewMs = t - Date.now();
      this.#serverRetries = 0;
      this.#closeCode = null;
      this.role = m.role;
      this.sessionId = m.sessionId;
      this.#setState('live');
      this.dispatchEvent(new Event('hello'));
    });
    s.on('snapshot', (m: { topic: Topic; cursor: string; sessions: Session[]; resync: boolean }) => {
      const t = this.#topics.get(m.topic);
      if (!t) return;
      t.cursor = m.cursor ?? t.cursor;
      for (const l of t.listeners) l.snapshot?.(m.sessions ?? [], !!m.resync);
      if (this.state !== 'live') this.#setState('live');
    });
    s.on('events', (m: { topic: Topic; events: VigilEvent[] }) => {
      const t = this.#topics.get(m.topic);
      if (!t || !m.events?.length) return;
      t.cursor = m.events[m.events.length - 1].id;
      for (const l of t.listeners) l.events?.(m.events);
    });
    s.on('synced', (m: { topic: Topic; cursor: string }) => {
      const t = this.#topics.get(m.topic);
      if (!t) return;
      if (m.cursor) t.cursor = m.cursor;
      for (const l of t.listeners) l.synced?.();
      if (this.state !== 'live') this.#setState('live');
    });
    s.on('stats', (m: { topic: 'stats'; stats: Stats }) => {
      const t = this.#topics.get('stats');
      if (!t || !m.stats) return;
      for (const l of t.listeners) l.stats?.(m.stats);
      if (this.state !== 'live') this.#setState('live');
    });
    s.on('error', (m: { code: string; message: string }) => {
      this.dispatchEvent(new CustomEvent('server-error', { detail: m }));
    });
    // The server says why before it drops a connection whose credential ended (4401/4403).
    s.on('close', (m: { code?: number; reason?: string }) => {
      this.#closeCode = m?.code ?? null;
      this.#closeReason = m?.reason ?? '';
    });
    s.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') {
        this.#setState('offline');
      } else if (reason === 'io server disconnect' && (this.#closeCode === 4401 || this.#closeCode === 4403)) {
        this.#close({ reason: 'server', message: this.#closeReason || 'The server ended this connection.' });
      } else if (reason === 'io server disconnect') {
        // e.g. a server shutting down: Socket.IO does not retry this case, so we do
        this.#setState('reconnecting');
        this.#retryLater();
      } else {
        this.#setState('reconnecting');
      }
    });
    s.on('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => {
      if (!s.active) {
        // A middleware refusal: Socket.IO will not retry, so neither do we.
        this.#close({ reason: 'unauthenticated', message: err.data?.message ?? err.message });
      } else {
        this.#setState(this.state === 'connecting' ? 'connecting' : 'reconnecting');
      }
    });
    s.io.on('reconnect_attempt', () => this.#setState('reconnecting'));
  }

  /** Server-corrected wall-clock time in ms. */
  now(): number {
    return Date.now() + this.skewMs;
  }

  /** Takes a reference; the socket connects on the first. */
  retain(): void {
    this.#refs++;
    if (this.#refs === 1 && !this.socket.connected && !this.closed) this.socket.connect();
  }

  /** Drops a reference; the socket closes when none remain. */
  release(): void {
    this.#refs = Math.max(0, this.#refs - 1);
    if (this.#refs === 0) {
      this.#disposed = true;
      this.socket.disconnect();
    }
  }

  /** Subscribes a listener to a topic; returns the unsubscribe function. */
  subscribe(topic: Topic, listener: TopicListener): () => void {
    let t = this.#topics.get(topic);
    if (!t) {
      t = { cursor: null, listeners: new Set(), params: { ...listener.subscribe } };
      this.#topics.set(topic, t);
    }
    const first = t.listeners.size === 0;
    t.listeners.add(listener);
    // A new listener needs the whole state: ask for a fresh snapshot.
    if (this.socket.connected) this.socket.emit('subscribe', first && t.cursor ? { ...t.params, topic, since: t.cursor } : { ...t.params, topic });
    return () => {
      const cur = this.#topics.get(topic);
      if (!cur) return;
      cur.listeners.delete(listener);
      if (cur.listeners.size === 0) {
        this.#topics.delete(topic);
        if (this.socket.connected) this.socket.emit('unsubscribe', { topic });
      }
    };
  }

  /** Sends a client message and resolves with its acknowledgement. */
  send(type: 'activity' | 'extend', timeoutMs = 8000): Promise<Ack> {
    return new Promise((resolve) => {
      if (!this.socket.connected) {
        resolve({ ok: false, code: 'OFFLINE', message: 'Not connected to the server.' });
        return;
      }
      this.socket.timeout(timeoutMs).emit(type, {}, (err: Error | null, ack: Ack) => {
        if (err) resolve({ ok: false, code: 'TIMEOUT', message: 'The server did not answer in time.' });
        else resolve(ack ?? { ok: true });
      });
    });
  }

  /** Closes the connection for good and announces why. */
  #close(detail: ClosedDetail): void {
    this.closed = detail;
    this.#setState('offline');
    this.dispatchEvent(new CustomEvent<ClosedDetail>('closed', { detail }));
  }

  #retryLater(): void {
    const delay = Math.min(10_000, 500 * 2 ** this.#serverRetries++) * (0.75 + Math.random() / 2);
    setTimeout(() => {
      if (!this.closed && !this.#disposed && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  #resubscribeAll(): void {
    for (const [topic, t] of this.#topics) {
      this.socket.emit('subscribe', t.cursor ? { ...t.params, topic, since: t.cursor } : { ...t.params, topic });
    }
  }

  #setState(s: ConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    this.dispatchEvent(new Event('state'));
  }
}
