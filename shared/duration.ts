/** Human-readable durations, as TrueNAS shows token lifetimes (but without its misprint). */

const UNITS: Array<[number, string]> = [
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** 2147482 → "24 days, 20 hours, 31 minutes, 22 seconds"; 0 → "0 seconds". */
export function humanizeSeconds(total: number): string {
  if (!Number.isFinite(total) || total < 0) return '';
  let rest = Math.floor(total);
  if (rest === 0) return '0 seconds';
  const parts: string[] = [];
  for (const [size, name] of UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  }
  return parts.join(', ');
}

/** A compact countdown: 3725 → "1:02:05", 65 → "1:05", negative → "0:00". */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}
