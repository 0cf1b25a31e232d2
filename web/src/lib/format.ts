/**
 * Date formatting for tables that re-render often. `toLocaleTimeString` builds a new
 * Intl formatter on every call (it was the top cost of the Access view under 200 events/s),
 * so the formatters are made once.
 */

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const TIME_24 = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** A clock time, e.g. "07:05:41 PM"; `h23` for 24-hour displays. */
export function clockTime(t: number | Date, h23 = false): string {
  return (h23 ? TIME_24 : TIME).format(t);
}

/** The clock time for today, else "Nov 21, 07:05:41 PM". */
export function tableTime(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const time = TIME.format(t);
  const day = DAY.format(t);
  return Math.abs(now - t) < 86_400_000 && day === DAY.format(now) ? time : `${day}, ${time}`;
}
