/**
 * The live session list: a snapshot plus the events that follow it. Pure logic (no DOM),
 * shared by the Access view, the wall display and the benchmark.
 */
import type { DeviceType, Session, SessionKind, SessionState, VigilEvent } from '../../../shared/protocol.js';
import { FINAL_EVENTS } from '../../../shared/protocol.js';

export class SessionStore {
  readonly sessions = new Map<string, Session>();
  /** Bumped on every change, so views can memoise derived lists. */
  version = 0;
  #onChange: Array<(events: VigilEvent[] | null) => void> = [];

  onChange(fn: (events: VigilEvent[] | null) => void): () => void {
    this.#onChange.push(fn);
    return () => {
      this.#onChange = this.#onChange.filter((f) => f !== fn);
    };
  }

  /** Replaces the whole state (a snapshot, or a resync). */
  reset(sessions: Session[]): void {
    this.sessions.clear();
    for (const s of sessions) this.sessions.set(s.id, s);
    this.version++;
    for (const fn of this.#onChange) fn(null);
  }

  /** Applies a batch of events in order. */
  apply(events: VigilEvent[]): void {
    for (const e of events) {
      const id = e.sessionId ?? e.session?.id;
      if (!id) continue;
      if (FINAL_EVENTS.includes(e.name)) {
        this.sessions.delete(id);
      } else if (e.session && e.name.startsWith('session.')) {
        // a `changes` subscription's events carry only what changed: merged into what we hold
        const prev = this.sessions.get(id);
        if (prev) this.sessions.set(id, { ...prev, ...e.session });
        else if ('user' in e.session) this.sessions.set(id, e.session);
      }
    }
    this.version++;
    for (const fn of this.#onChange) fn(events);
  }

  get size(): number {
    return this.sessions.size;
  }

  count(state: SessionState): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.state === state) n++;
    return n;
  }

  byKind(): Record<SessionKind, number> {
    const r: Record<SessionKind, number> = { console: 0, sso: 0, offline: 0 };
    for (const s of this.sessions.values()) r[s.kind] = (r[s.kind] ?? 0) + 1;
    return r;
  }
}

export type SortKey = 'user' | 'kind' | 'client' | 'createdAt' | 'lastActivityAt' | 'expiresAt' | 'state';

export interface SessionFilter {
  /** Case-insensitive substring of the username. */
  user?: string;
  kind?: SessionKind | '';
  state?: SessionState | '';
}

export interface SessionSort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

function sortValue(s: Session, key: SortKey): string | number {
  switch (key) {
    case 'user':
      return s.user.username.toLowerCase();
    case 'kind':
      return s.kind;
    case 'client':
      return s.clientId ?? '';
    case 'state':
      return s.state === 'warning' ? 0 : 1;
    default:
      return s[key];
  }
}

/** Filters then sorts; ties fall back to the session id so the order is stable. */
export function viewSessions(all: Iterable<Session>, filter: SessionFilter, sort: SessionSort): Session[] {
  const needle = filter.user?.trim().toLowerCase() ?? '';
  const out: Array<{ s: Session; k: string | number }> = [];
  for (const s of all) {
    if (needle && !s.user.username.toLowerCase().includes(needle)) continue;
    if (filter.kind && s.kind !== filter.kind) continue;
    if (filter.state && s.state !== filter.state) continue;
    out.push({ s, k: sortValue(s, sort.key) });
  }
  const dir = sort.dir === 'asc' ? 1 : -1;
  out.sort((a, b) => (a.k < b.k ? -dir : a.k > b.k ? dir : a.s.id < b.s.id ? -1 : a.s.id > b.s.id ? 1 : 0));
  return out.map((o) => o.s);
}

/**
 * "Chrome 131 on Windows 10" from the device the server parsed from the user agent
 * (`origin.device`); the raw user agent when the server recognised neither (curl, scripts),
 * "Unknown client" when there is none.
 */
export function deviceName(origin: Partial<Session['origin']> | null | undefined): string {
  const d = origin?.device;
  if (d?.browser && d.os) return `${d.browser} on ${d.os}`;
  if (d?.browser || d?.os) return (d.browser ?? d.os)!;
  return origin?.userAgent || 'Unknown client';
}

const DEVICE_TYPE_LABELS: Record<DeviceType, string> = {
  desktop: 'Desktop', mobile: 'Mobile', tablet: 'Tablet', console: 'Console', smarttv: 'Smart TV', wearable: 'Wearable', embedded: 'Embedded',
};

/** "Desktop", "Mobile", "Smart TV"…; null when the server could not tell. */
export function deviceTypeLabel(origin: Partial<Session['origin']> | null | undefined): string | null {
  const t = origin?.device?.type;
  return t ? (DEVICE_TYPE_LABELS[t] ?? t) : null;
}

function compareKeyed(ka: string | number, a: Session, kb: string | number, b: Session, dir: number): number {
  if (ka < kb) return -dir;
  if (ka > kb) return dir;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function matches(s: Session, needle: string, filter: SessionFilter): boolean {
  if (needle && !s.user.username.toLowerCase().includes(needle)) return false;
  if (filter.kind && s.kind !== filter.kind) return false;
  if (filter.state && s.state !== filter.state) return false;
  return true;
}

/**
 * The filtered, sorted rows of a store, kept up to date incrementally: an event batch moves
 * only the rows it touches (binary search + splice) instead of re-sorting every session, so
 * 10,000 rows under 200 events/s cost microseconds per batch. Same order as `viewSessions`.
 */
export class SessionView {
  /** The rows, a new array after every change (so a template sees the change). */
  rows: Session[] = [];
  #filter: SessionFilter = {};
  #sort: SessionSort = { key: 'createdAt', dir: 'desc' };
  #shown = new Map<string, Session>();

  constructor(readonly store: SessionStore) {}

  /** Recomputes everything (a snapshot, or a new filter or sort). */
  rebuild(filter: SessionFilter, sort: SessionSort): void {
    this.#filter = filter;
    this.#sort = sort;
    this.rows = viewSessions(this.store.sessions.values(), filter, sort);
    this.#shown = new Map(this.rows.map((s) => [s.id, s]));
  }

  /** Moves the rows of the sessions these events touched (call after `store.apply`). */
  update(events: VigilEvent[]): void {
    const ids = new Set<string>();
    for (const e of events) {
      const id = e.sessionId ?? e.session?.id;
      if (id) ids.add(id);
    }
    if (ids.size === 0) return;
    const rows = this.rows.slice();
    const needle = this.#filter.user?.trim().toLowerCase() ?? '';
    const dir = this.#sort.dir === 'asc' ? 1 : -1;
    const key = this.#sort.key;
    const find = (s: Session): number => {
      const k = sortValue(s, key);
      let lo = 0;
      let hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const m = rows[mid];
        if (compareKeyed(sortValue(m, key), m, k, s, dir) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (const id of ids) {
      const before = this.#shown.get(id);
      const after = this.store.sessions.get(id);
      if (before === after) continue;
      if (before) {
        const i = find(before);
        if (rows[i]?.id === id) rows.splice(i, 1);
        this.#shown.delete(id);
      }
      if (after && matches(after, needle, this.#filter)) {
        rows.splice(find(after), 0, after);
        this.#shown.set(id, after);
      }
    }
    this.rows = rows;
  }
}
