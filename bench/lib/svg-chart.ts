/**
 * Hand-written SVG charts for the benchmark report (bench/report.ts): a grouped or stacked bar
 * chart and a line/step chart, each with linear or log axes, axis labels with units, a legend,
 * and targets drawn as dashed lines. No chart library: the output is a plain, self-contained
 * SVG string that renders the same in a browser, on GitHub and in rsvg.
 */

/** A dashed horizontal line at `value`, across the whole plot or over one bar group only. */
export interface Target {
  value: number;
  label: string;
  /** Bar charts: the name of the group the target applies to (omitted: the whole width). */
  group?: string;
}

export interface BarSeries {
  name: string;
  /** One value per group, in the order of `groups`; null draws no bar. */
  values: Array<number | null>;
  color?: string;
}

export interface BarChartOptions {
  title: string;
  subtitle?: string;
  yLabel: string;
  xLabel?: string;
  groups: string[];
  series: BarSeries[];
  log?: boolean;
  /** One bar per group made of the series' values on top of each other. */
  stacked?: boolean;
  targets?: Target[];
  /** How a value is printed on its bar and on the axis (default: formatNumber). */
  format?: (v: number) => string;
  width?: number;
  height?: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: Point[];
  color?: string;
  /** Draw as a step (horizontal then vertical) instead of straight segments. */
  step?: boolean;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  subtitle?: string;
  yLabel: string;
  xLabel: string;
  series: LineSeries[];
  logX?: boolean;
  logY?: boolean;
  /** Explicit x ticks (default: chosen from the data). */
  xTicks?: number[];
  targets?: Target[];
  /** Print each point's y value beside it. */
  labels?: boolean;
  format?: (v: number) => string;
  formatX?: (v: number) => string;
  width?: number;
  height?: number;
}

/** Vigil first (blue), then baselines (orange, grey, ...). */
export const PALETTE = ['#2563eb', '#ea580c', '#6b7280', '#16a34a', '#9333ea', '#0891b2', '#ca8a04', '#db2777'];
const TARGET_COLOR = '#dc2626';
const MIN_PLOT_HEIGHT = 280;
/** A white outline under small labels, so that they stay legible over bars and lines. */
const HALO = ' stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"';
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** Text for an SVG text node or attribute value. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** 1,234,567 · 12.3 · 1.23 · 0.012 — few digits, thousands separated. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return trim(v.toFixed(1));
  if (a >= 1) return trim(v.toFixed(2));
  if (a === 0) return '0';
  return trim(v.toPrecision(2));
}

const trim = (s: string) => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);
const r1 = (v: number) => Math.round(v * 10) / 10;
/** A rough text width for layout (no font metrics here). */
const textWidth = (s: string, size: number) => s.length * size * 0.56;

interface Scale {
  at(v: number): number;
  ticks: number[];
  lo: number;
  hi: number;
}

/** Multiples of 1, 2 or 5 × 10^k: the step for about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function linearScale(values: number[], from: number, to: number, count = 5, includeZero = true): Scale {
  const finite = values.filter(Number.isFinite);
  let lo = includeZero ? Math.min(0, ...finite) : Math.min(...finite);
  let hi = Math.max(...finite);
  if (!finite.length) [lo, hi] = [0, 1];
  if (hi === lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo));
  const step = niceStep(hi - lo, count);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { lo, hi, ticks, at: (v) => from + ((v - lo) / (hi - lo)) * (to - from) };
}

/** Whole decades by default; `tight`: the data's own range with a margin (ticks at 1, 2, 5 inside it). */
function logScale(values: number[], from: number, to: number, tight = false): Scale {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  const min = pos.length ? Math.min(...pos) : 1;
  const max = pos.length ? Math.max(...pos) : 10;
  let lo = tight ? min / 1.3 : 10 ** Math.floor(Math.log10(min));
  let hi = tight ? max * 1.3 : 10 ** Math.ceil(Math.log10(max));
  if (hi <= lo) hi = lo * 10;
  lo = Number(lo.toPrecision(6));
  hi = Number(hi.toPrecision(6));
  const decades = Math.round(Math.log10(hi / lo));
  const ticks: number[] = [];
  for (let d = 10 ** Math.floor(Math.log10(lo)); d <= hi * 1.0001; d *= 10) {
    const dec = Number(d.toPrecision(6));
    for (const m of decades <= 3 ? [1, 2, 5] : [1]) {
      const t = Number((dec * m).toPrecision(6));
      if (t >= lo * 0.9999 && t <= hi * 1.0001) ticks.push(t);
    }
  }
  const L = Math.log10(lo);
  const H = Math.log10(hi);
  // zero or negatives (a lateness of 0 ms) sit on the axis
  return { lo, hi, ticks, at: (v) => from + ((Math.log10(Math.max(v, lo)) - L) / (H - L)) * (to - from) };
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  parts: string[];
}

interface LegendItem {
  name: string;
  color: string;
  kind: 'box' | 'line' | 'dashed';
}

/** Greedy word wrap to lines no wider than `max` (by the rough width above). */
function wrapText(s: string, size: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > max) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** Title, subtitle and legend rows; returns where the plot area starts. */
function header(parts: string[], width: number, title: string, subtitle: string | undefined, legend: LegendItem[]): number {
  let y = 6;
  for (const line of wrapText(title, 16.5, width - 32)) {
    y += 20;
    parts.push(`<text x="16" y="${y}" font-size="15" font-weight="600" fill="#111827">${escapeXml(line)}</text>`);
  }
  for (const line of subtitle ? wrapText(subtitle, 11.5, width - 32) : []) {
    y += 16;
    parts.push(`<text x="16" y="${y}" font-size="11.5" fill="#4b5563">${escapeXml(line)}</text>`);
  }
  y += 22;
  let x = 16;
  for (const item of legend) {
    const w = 22 + textWidth(item.name, 11.5) + 18;
    if (x + w > width - 16 && x > 16) {
      x = 16;
      y += 18;
    }
    if (item.kind === 'box') parts.push(`<rect x="${x}" y="${y - 9}" width="12" height="12" rx="2" fill="${item.color}"/>`);
    else parts.push(`<line x1="${x}" y1="${y - 3}" x2="${x + 16}" y2="${y - 3}" stroke="${item.color}" stroke-width="2"${item.kind === 'dashed' ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text x="${x + 20}" y="${y + 1}" font-size="11.5" fill="#374151">${escapeXml(item.name)}</text>`);
    x += w;
  }
  return y + 16;
}

function yAxis(f: Frame, scale: Scale, label: string, format: (v: number) => string): void {
  for (const t of scale.ticks) {
    const y = r1(scale.at(t));
    f.parts.push(`<line x1="${f.left}" y1="${y}" x2="${f.width - f.right}" y2="${y}" stroke="#e5e7eb" stroke-width="1"/>`);
    f.parts.push(`<text x="${f.left - 6}" y="${y + 4}" font-size="11" fill="#4b5563" text-anchor="end">${escapeXml(format(t))}</text>`);
  }
  const mid = r1((f.top + (f.height - f.bottom)) / 2);
  f.parts.push(`<text x="16" y="${mid}" font-size="12" fill="#374151" text-anchor="middle" transform="rotate(-90 16 ${mid})">${escapeXml(label)}</text>`);
  f.parts.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.height - f.bottom}" stroke="#9ca3af" stroke-width="1"/>`);
  f.parts.push(`<line x1="${f.left}" y1="${f.height - f.bottom}" x2="${f.width - f.right}" y2="${f.height - f.bottom}" stroke="#9ca3af" stroke-width="1"/>`);
}

/** The label sits at the right end of a full-width line, at the left of one group's segment. */
function targetLine(f: Frame, y: number, x1: number, x2: number, label: string, atLeft = false): void {
  const yy = r1(y);
  f.parts.push(`<line x1="${r1(x1)}" y1="${yy}" x2="${r1(x2)}" y2="${yy}" stroke="${TARGET_COLOR}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  const w = textWidth(label, 10.5);
  const tx = atLeft ? x1 + 2 : Math.max(f.left + 2, Math.min(x2 - w - 2, f.width - f.right - w - 2));
  f.parts.push(`<text x="${r1(tx)}" y="${yy - 4}" font-size="10.5" fill="${TARGET_COLOR}"${HALO}>${escapeXml(label)}</text>`);
}

function wrap(parts: string[], width: number, height: number, title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT} role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Grouped (or stacked) bars: one group per category, one bar per series. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 760;
  let height = o.height ?? 420;
  const fmt = o.format ?? formatNumber;
  const colors = o.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!);
  const parts: string[] = [];
  const legend: LegendItem[] = o.series.map((s, i) => ({ name: s.name, color: colors[i]!, kind: 'box' as const }));
  if (o.targets?.length) legend.push({ name: 'target', color: TARGET_COLOR, kind: 'dashed' });
  const top = header(parts, width, o.title, o.subtitle, legend);
  const bottom = o.xLabel ? 58 : 40;
  // a long title or legend takes room from the plot, not the plot's own height
  height = Math.max(height, top + MIN_PLOT_HEIGHT + bottom);
  const f: Frame = { width, height, left: 72, right: 20, top, bottom, parts };
  const plotBottom = height - f.bottom;

  const totals = o.groups.map((_, g) => o.series.reduce((a, s) => a + (s.values[g] ?? 0), 0));
  const all = o.stacked ? totals : o.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const values = [...all, ...(o.targets ?? []).map((t) => t.value)];
  // headroom for the value printed above the tallest bar
  const scale = o.log
    ? logScale([...values.map((v) => v / 2), ...values.map((v) => v * 1.6)], plotBottom, f.top)
    : linearScale(values.map((v) => v * 1.08), plotBottom, f.top);
  yAxis(f, scale, o.yLabel, fmt);

  const plotW = width - f.left - f.right;
  const band = plotW / Math.max(1, o.groups.length);
  const n = o.stacked ? 1 : Math.max(1, o.series.length);
  const barW = Math.min(64, (band * (o.stacked ? 0.45 : 0.8)) / n);
  const base = o.log ? scale.at(scale.lo) : scale.at(0);
  o.groups.forEach((group, g) => {
    const gx = f.left + band * g;
    const start = gx + (band - barW * n) / 2;
    if (o.stacked) {
      let acc = 0;
      const segments = o.series.filter((s) => (s.values[g] ?? 0) > 0).length;
      o.series.forEach((s, i) => {
        const v = s.values[g];
        if (v === null || v === undefined || v <= 0) return;
        const y0 = scale.at(acc);
        const y1 = scale.at(acc + v);
        acc += v;
        parts.push(`<rect x="${r1(start)}" y="${r1(y1)}" width="${r1(barW)}" height="${r1(Math.max(0, y0 - y1))}" fill="${colors[i]}"><title>${escapeXml(`${s.name}: ${fmt(v)}`)}</title></rect>`);
        if (segments > 1 && y0 - y1 >= 13) parts.push(`<text x="${r1(start + barW + 4)}" y="${r1((y0 + y1) / 2 + 4)}" font-size="10" fill="#374151">${escapeXml(`${s.name} ${fmt(v)}`)}</text>`);
      });
      if (acc > 0) parts.push(`<text x="${r1(start + barW / 2)}" y="${r1(scale.at(acc) - 5)}" font-size="11" font-weight="600" fill="#111827" text-anchor="middle">${escapeXml(fmt(acc))}</text>`);
    } else {
      o.series.forEach((s, i) => {
        const v = s.values[g];
        if (v === null || v === undefined || !Number.isFinite(v)) return;
        const x = start + barW * i;
        const y = scale.at(v);
        parts.push(`<rect x="${r1(x + 1)}" y="${r1(Math.min(y, base))}" width="${r1(Math.max(1, barW - 2))}" height="${r1(Math.abs(base - y))}" fill="${colors[i]}"><title>${escapeXml(`${s.name}, ${group}: ${fmt(v)}`)}</title></rect>`);
        parts.push(`<text x="${r1(x + barW / 2)}" y="${r1(Math.min(y, base) - 4)}" font-size="10" fill="#111827" text-anchor="middle"${HALO}>${escapeXml(fmt(v))}</text>`);
      });
    }
    parts.push(`<text x="${r1(gx + band / 2)}" y="${plotBottom + 16}" font-size="11.5" fill="#374151" text-anchor="middle">${escapeXml(group)}</text>`);
  });
  for (const t of o.targets ?? []) {
    const g = t.group === undefined ? -1 : o.groups.indexOf(t.group);
    const x1 = g < 0 ? f.left : f.left + band * g + band * 0.04;
    const x2 = g < 0 ? width - f.right : f.left + band * (g + 1) - band * 0.04;
    targetLine(f, scale.at(t.value), x1, x2, t.label, g >= 0);
  }
  if (o.xLabel) parts.push(`<text x="${r1(f.left + plotW / 2)}" y="${height - 14}" font-size="12" fill="#374151" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  return wrap(parts, width, height, o.title);
}

/** Lines (or steps) through points, one per series, with markers. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 760;
  let height = o.height ?? 420;
  const fmt = o.format ?? formatNumber;
  const fmtX = o.formatX ?? formatNumber;
  const colors = o.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!);
  const parts: string[] = [];
  const legend: LegendItem[] = o.series.map((s, i) => ({ name: s.name, color: colors[i]!, kind: s.dashed ? ('dashed' as const) : ('line' as const) }));
  if (o.targets?.length) legend.push({ name: 'target', color: TARGET_COLOR, kind: 'dashed' });
  const top = header(parts, width, o.title, o.subtitle, legend);
  height = Math.max(height, top + MIN_PLOT_HEIGHT + 58);
  const f: Frame = { width, height, left: 72, right: 44, top, bottom: 58, parts };
  const plotBottom = height - f.bottom;
  const xs = [...o.series.flatMap((s) => s.points.map((p) => p.x)), ...(o.xTicks ?? [])];
  const ys = [...o.series.flatMap((s) => s.points.map((p) => p.y)), ...(o.targets ?? []).map((t) => t.value)];
  const x = o.logX ? logScale(xs, f.left, width - f.right, true) : linearScale(xs, f.left, width - f.right, 6, xs.some((v) => v <= 0));
  const y = o.logY ? logScale(ys.map((v) => v * 1.3), plotBottom, f.top) : linearScale(ys.map((v) => v * 1.05), plotBottom, f.top);
  yAxis(f, y, o.yLabel, fmt);
  for (const t of o.xTicks ?? x.ticks) {
    const xx = r1(x.at(t));
    parts.push(`<line x1="${xx}" y1="${plotBottom}" x2="${xx}" y2="${plotBottom + 4}" stroke="#9ca3af" stroke-width="1"/>`);
    parts.push(`<text x="${xx}" y="${plotBottom + 17}" font-size="11" fill="#4b5563" text-anchor="middle">${escapeXml(fmtX(t))}</text>`);
  }
  parts.push(`<text x="${r1(f.left + (width - f.left - f.right) / 2)}" y="${height - 14}" font-size="12" fill="#374151" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  for (const t of o.targets ?? []) targetLine(f, y.at(t.value), f.left, width - f.right, t.label);
  o.series.forEach((s, i) => {
    const pts = [...s.points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (!pts.length) return;
    const coords = pts.map((p) => [r1(x.at(p.x)), r1(y.at(p.y))] as const);
    let d = `M${coords[0]![0]} ${coords[0]![1]}`;
    for (let k = 1; k < coords.length; k++) {
      const [cx, cy] = coords[k]!;
      d += s.step ? ` H${cx} V${cy}` : ` L${cx} ${cy}`;
    }
    parts.push(`<path d="${d}" fill="none" stroke="${colors[i]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    pts.forEach((p, k) => {
      const [cx, cy] = coords[k]!;
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${colors[i]}"><title>${escapeXml(`${s.name}: ${fmtX(p.x)} → ${fmt(p.y)}`)}</title></circle>`);
      if (o.labels) parts.push(`<text x="${r1(cx + 6)}" y="${r1(cy - 6)}" font-size="10" fill="${colors[i]}"${HALO}>${escapeXml(fmt(p.y))}</text>`);
    });
  });
  return wrap(parts, width, height, o.title);
}
