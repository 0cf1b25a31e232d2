/** The Events page's filters as the query of GET /events (pure, so that it is tested without a browser). */

export type EventRange = '15m' | '1h' | '24h' | '7d' | 'all' | 'custom';

export const EVENT_RANGES: Array<{ value: EventRange; label: string; ms?: number }> = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: 'all', label: 'Everything kept' },
  { value: 'custom', label: 'Custom range' },
];

export interface EventFilters {
  range: EventRange;
  /** datetime-local values (local time), for the custom range. */
  from: string;
  to: string;
  name: string;
  user: string;
  sessionId: string;
}

/** The query string of the filters, at `now` (a relative range ends now). */
export function eventQuery(f: EventFilters, now = Date.now()): URLSearchParams {
  const q = new URLSearchParams();
  const range = EVENT_RANGES.find((r) => r.value === f.range);
  if (range?.ms) q.set('since', new Date(now - range.ms).toISOString());
  if (f.range === 'custom') {
    const from = Date.parse(f.from);
    const to = Date.parse(f.to);
    if (Number.isFinite(from)) q.set('since', new Date(from).toISOString());
    if (Number.isFinite(to)) q.set('until', new Date(to).toISOString());
  }
  if (f.name.trim()) q.set('name', f.name.trim());
  if (f.user.trim()) q.set('user', f.user.trim());
  if (f.sessionId.trim()) q.set('sessionId', f.sessionId.trim());
  return q;
}
