/** Percentiles, fixed-width tables, Prometheus histogram parsing and result-file heads for benchmark reports. */
import { execSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: number[]): Summary {
  const s = Float64Array.from(values).sort();
  const arr = Array.from(s);
  let sum = 0;
  for (const v of arr) sum += v;
  return {
    n: arr.length,
    min: arr.length ? arr[0]! : NaN,
    p50: percentile(arr, 50),
    p90: percentile(arr, 90),
    p99: percentile(arr, 99),
    max: arr.length ? arr[arr.length - 1]! : NaN,
    mean: arr.length ? sum / arr.length : NaN,
  };
}

/** A plain-text table; numbers are printed as given (format them first). */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
}

export interface PromHistogram {
  labels: string;
  /** Upper bound (seconds, Infinity for +Inf) → cumulative count. */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/** Every series of one histogram in a Prometheus text exposition, keyed by its labels (minus `le`). */
export function parsePromHistogram(text: string, name: string): PromHistogram[] {
  const series = new Map<string, PromHistogram>();
  const get = (labels: string) => {
    let s = series.get(labels);
    if (!s) series.set(labels, (s = { labels, buckets: [], sum: 0, count: 0 }));
    return s;
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const [, metric, rawLabels = '', value] = m;
    const labels = rawLabels.split(',').filter((l) => l && !l.startsWith('le=')).join(',');
    if (metric === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(rawLabels)?.[1] ?? '+Inf';
      get(labels).buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: Number(value) });
    } else if (metric === `${name}_sum`) get(labels).sum = Number(value);
    else if (metric === `${name}_count`) get(labels).count = Number(value);
  }
  return [...series.values()];
}

/** a − b, bucket by bucket (for the observations made between two scrapes). */
export function diffHistogram(a: PromHistogram, b: PromHistogram | undefined): PromHistogram {
  if (!b) return a;
  return {
    labels: a.labels,
    buckets: a.buckets.map((x, i) => ({ le: x.le, count: x.count - (b.buckets[i]?.count ?? 0) })),
    sum: a.sum - b.sum,
    count: a.count - b.count,
  };
}

/** Upper bound of the bucket holding the p-th percentile (what a histogram can tell). */
export function histogramPercentile(h: PromHistogram, p: number): number {
  if (!h.count) return NaN;
  const target = Math.ceil((p / 100) * h.count);
  for (const b of h.buckets) if (b.count >= target) return b.le;
  return Infinity;
}

/** The closing sentence of a benchmark's table: its duration, the machine, and its load at the start and end. */
export function runFooter(startedMs: number, loadavgAtStart: number[]): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return `Total ${((Date.now() - startedMs) / 1000).toFixed(0)} s; ${os.cpus().length} CPUs, Node ${process.version}; load average at start ${load(loadavgAtStart)}, at end ${load(os.loadavg())}.`;
}

/**
 * The head of a result file: which bench, when, at which commit, with which command line, on
 * what machine (load averages at start and at the end, since the machine is shared).
 */
export function runHeader(bench: string, loadavgAtStart: number[]): Record<string, unknown> {
  let commit: string | null = null;
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: path.dirname(fileURLToPath(import.meta.url)), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  return {
    bench,
    at: new Date().toISOString(),
    commit,
    command: `npx tsx bench/${bench}.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadavgAtStart, loadavgAtEnd: os.loadavg(), node: process.version },
  };
}

/** Math.min over an array of any length (a spread of 100k+ values overflows the stack). */
export function minOf(xs: readonly number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

/** Math.max over an array of any length. */
export function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}
