/**
 * The realm's event history (GET /events): the same stream the real-time hub reads, read with
 * XRANGE by time, filtered by name, user and session, paged by cursor, and exported as NDJSON
 * or CSV. A cursor is the stream id of the last entry a page looked at, and the next page
 * starts just after it (an exclusive XRANGE start), so pages never repeat or skip an event,
 * whatever the filter. Who may see what is the hub's rule (isCredentialEvent): events about
 * credentials only for admins.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { isCredentialEvent, type VigilEvent } from '../../shared/protocol.js';
import { compareStreamIds, formatEvent } from './format.js';

export interface HistoryQuery {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** An event name, or a prefix ending in `*` (`session.*`). */
  name?: string;
  /** A username: the session's owner, or the user a sessionless event names. */
  user?: string;
  sessionId?: string;
  /** The nextCursor of the previous page: a stream id. */
  cursor?: string;
  /** Whether the reader is an admin (credential events are theirs alone). */
  admin: boolean;
}

/** Stream entries read per XRANGE: one page of Redis's answer in memory at a time. */
const READ = 500;
/**
 * Entries one JSON page looks at before it answers with what it found: a narrow filter over a
 * long history answers in bounded time, with a cursor to continue from (possibly no events).
 */
const SCAN_BUDGET = 20_000;

type Entry = [string, string[]];

/** Whether an event passes the query's filters and the reader may see it. */
export function eventMatches(q: HistoryQuery, e: VigilEvent): boolean {
  if (!q.admin && isCredentialEvent(e.name)) return false;
  if (q.name !== undefined) {
    if (q.name.endsWith('*') ? !e.name.startsWith(q.name.slice(0, -1)) : e.name !== q.name) return false;
  }
  if (q.sessionId !== undefined && e.sessionId !== q.sessionId) return false;
  if (q.user !== undefined && (e.session?.user.username ?? e.data.username) !== q.user) return false;
  return true;
}

export class EventHistory {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  /**
   * The XRANGE bounds of a query: after the cursor (or from `since`), before `until`; null when
   * the range is empty before it is read (an `until` at or before the epoch).
   */
  private bounds(q: HistoryQuery): { start: string; end: string } | null {
    if (q.until !== undefined && q.until <= 0) return null;
    const since = q.since !== undefined ? `${Math.max(0, q.since)}-0` : null;
    let start = q.cursor ? `(${q.cursor}` : since ?? '-';
    if (q.cursor && since && compareStreamIds(since, q.cursor) > 0) start = since;
    return { start, end: q.until !== undefined ? `(${q.until}-0` : '+' };
  }

  private async read(realm: string, start: string, end: string, count: number): Promise<Entry[]> {
    return (await this.redis.xrange(this.keys.events(realm), start, end, 'COUNT', count)) as Entry[];
  }

  /**
   * One page, oldest first: up to `limit` matching events. nextCursor is null once the range
   * has been read to its end; else the next page starts after it.
   */
  async page(realm: string, q: HistoryQuery, limit: number): Promise<{ events: VigilEvent[]; nextCursor: string | null }> {
    const bounds = this.bounds(q);
    if (!bounds) return { events: [], nextCursor: null };
    let start = bounds.start;
    const end = bounds.end;
    const events: VigilEvent[] = [];
    let scanned = 0;
    for (;;) {
      const entries = await this.read(realm, start, end, READ);
      for (const [id, fields] of entries) {
        scanned++;
        const e = formatEvent(realm, id, fields);
        if (eventMatches(q, e)) events.push(e);
        // the page is full, or has looked at enough: the next one starts right after this entry
        if (events.length === limit || scanned >= SCAN_BUDGET) return { events, nextCursor: id };
      }
      if (entries.length < READ) return { events, nextCursor: null };
      start = `(${entries[entries.length - 1]![0]}`;
    }
  }

  /**
   * Every matching event, oldest first, read a page at a time (never the whole selection in
   * memory). It ends at the stream's last entry when it was opened, so that an export of a busy
   * realm ends too. Opening reads Redis once, so that a caller learns of an outage before it
   * answers (a 503, not a download cut short).
   */
  async all(realm: string, q: HistoryQuery): Promise<AsyncGenerator<VigilEvent[]>> {
    const bounds = this.bounds(q);
    const last = (await this.redis.xrevrange(this.keys.events(realm), '+', '-', 'COUNT', 1)) as Entry[];
    const read = (start: string, end: string, count: number) => this.read(realm, start, end, count);
    return (async function* pages(): AsyncGenerator<VigilEvent[]> {
      if (!bounds || !last.length) return;
      const newest = last[0]![0];
      const end = bounds.end === '+' || compareStreamIds(newest, bounds.end.slice(1)) < 0 ? newest : bounds.end;
      let start = bounds.start;
      for (;;) {
        const entries = await read(start, end, READ);
        const events = entries.map(([id, fields]) => formatEvent(realm, id, fields)).filter((e) => eventMatches(q, e));
        if (events.length) yield events;
        if (entries.length < READ) return;
        start = `(${entries[entries.length - 1]![0]}`;
      }
    })();
  }
}

/** The CSV export's columns, in order (the header row). */
export const CSV_COLUMNS = ['id', 'at', 'realm', 'name', 'sessionId', 'user', 'kind', 'clientId', 'data'] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled.
 * A field a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
 * apostrophe (OWASP's CSV injection advice): usernames and data are typed by people.
 */
export function csvField(value: string | null | undefined): string {
  let s = value ?? '';
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(e: VigilEvent): string {
  const user = e.session?.user.username ?? (typeof e.data.username === 'string' ? e.data.username : null);
  const cells = [e.id, e.at, e.realm, e.name, e.sessionId, user, e.session?.kind ?? null, e.session?.clientId ?? null, JSON.stringify(e.data)];
  return `${cells.map(csvField).join(',')}\r\n`;
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;
