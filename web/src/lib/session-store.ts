/**
 * The live session list: a snapshot plus the events that follow it. Pure logic (no DOM),
 * shared by the Access view, the wall display and the benchmark.
 */
import type { Session, SessionKind, SessionState, VigilEvent } from '../../../shared/protocol.js';
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
        this.sessions.set(id, e.session);
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

/** "Chrome 131 on Linux" from a user-agent string; the raw string when unknown. */
export function describeUserAgent(ua: string | null | undefined): string {
  if (!ua) return 'Unknown client';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  const browsers: Array<[RegExp, string]> = [
    [/Edg\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)/, 'Opera'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
    [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[^ ]* .*Safari/, 'Safari'],
    [/^node|undici|axios|curl\/|python|Go-http/i, ''],
  ];
  for (const [re, name] of browsers) {
    const m = re.exec(ua);
    if (m) {
      if (!name) return ua.split(/[ ;]/)[0];
      return `${name} ${m[1]}${os ? ` on ${os}` : ''}`;
    }
  }
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}
