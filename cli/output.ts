/** Tables, colour and times for terminal output. Colour only on a TTY and without NO_COLOR. */

export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, grey: 90, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof CODES;

export function paint(text: string, colour: Colour | undefined, on = useColour()): string {
  return on && colour ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  colour?: (row: T) => Colour | undefined;
}

/** Left-aligned columns two spaces apart, a header row first; the last column is not padded. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], colour = useColour()): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[], colours: (Colour | undefined)[]) =>
    values
      .map((v, i) => {
        const padded = i === values.length - 1 ? v : v.padEnd(widths[i]!);
        return paint(padded, colours[i], colour);
      })
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.header), columns.map(() => 'bold'))];
  rows.forEach((r, j) => out.push(line(cells[j]!, columns.map((c) => c.colour?.(r)))));
  return out.join('\n');
}

/** `12s`, `4m 48s`, `3h 2m`, `2d 5h`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** A time relative to now: `12s ago`, `in 4m 48s`. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = (t - now) / 1000;
  return d >= 0 ? `in ${duration(d)}` : `${duration(-d)} ago`;
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** `*` matches any run of characters; everything else is literal. */
export function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
