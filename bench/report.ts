/**
 * `npm run bench:report`: turns the benchmarks' result files (bench/results/<name>.json, each
 * written by bench/<name>.ts) into one SVG chart per target of design/BENCHMARKS.md
 * (docs/perf/<target>.svg) and refreshes the figures in docs/PERFORMANCE.md.
 *
 * In PERFORMANCE.md only what sits between a target's markers is rewritten:
 *   <!-- bench:T1 --> … <!-- /bench:T1 -->                     the run's table and chart(s)
 *   <!-- bench:headline:T1 --> … <!-- /bench:headline:T1 -->   its one-line headline ratio
 * Everything outside markers is prose and is never touched. A result file that is missing (the
 * benchmark has not been run here yet) or unreadable is skipped with a note: its markers keep
 * what they held and its charts are left as they are.
 *
 *   npx tsx bench/report.ts [--results bench/results] [--perf docs/perf] [--doc docs/PERFORMANCE.md] [--readme README.md]
 * The README's headline markers (<!-- bench:headline:T1 --> …) get the same lines.
 */
import type { Summary } from './lib/stats.js';
import type { WallsResult } from './walls.js';
import type { Point } from './memory.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChart, formatNumber as num, lineChart, PALETTE } from './lib/svg-chart.js';

// ---------------------------------------------------------------- result shapes (the parts read here)


/** runHeader() in bench/lib/stats.ts; older benches write only `at` and `options` (and `cpus`). */
interface Head {
  at?: string;
  commit?: string | null;
  command?: string;
  cpus?: number;
  cores?: number;
  machine?: { cpus?: number; loadavgAtStart?: number[]; loadavgAtEnd?: number[]; node?: string };
  options?: Record<string, unknown>;
}

type Json = Head & Record<string, unknown>;

export interface Chart {
  /** File name in the perf folder, e.g. `T1.svg`. */
  file: string;
  svg: string;
}

export interface Section {
  id: string;
  headline: string;
  /** Markdown between the target's markers (tables, run line, images). */
  body: string;
  charts: Chart[];
}

interface TargetSpec {
  id: string;
  /** The result files it reads (bench/results/<file>). */
  files: string[];
  /** The npm script that writes them. */
  command: string;
  build(data: Json[], img: (file: string) => string): Omit<Section, 'id'>;
}

// ---------------------------------------------------------------- formatting

const COLOR = { vigil: PALETTE[0]!, baseline: PALETTE[1]!, other: PALETTE[2]!, fourth: PALETTE[3]! };

/** baseline ÷ Vigil (or the other way round), as "12×"; "–" when it means nothing. */
function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  const r = a / b;
  return `${r >= 10 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1)}×`;
}

const ms = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${num(v)} ms`);
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;

function mdTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cell = (c: string | number) => String(typeof c === 'number' ? num(c) : c).replace(/\|/g, '\\|');
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function when(at: string | undefined): string {
  if (!at) return 'date not recorded';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function optionsText(o: Record<string, unknown> | undefined): string {
  if (!o) return '';
  return Object.entries(o)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/** The line under each table: when, where, under what load, with which options. */
export function runLine(d: Json, extraOptions?: Record<string, unknown>): string {
  const parts = [`Run ${when(d.at)}`];
  if (d.commit) parts.push(`commit ${d.commit}`);
  const cpus = d.machine?.cpus ?? d.cpus ?? d.cores;
  if (cpus) parts.push(`${cpus} CPUs`);
  if (d.machine?.node) parts.push(`Node ${d.machine.node}`);
  const s = d.machine?.loadavgAtStart;
  const e = d.machine?.loadavgAtEnd;
  if (s?.length) parts.push(`load average ${s[0]!.toFixed(2)} at start${e?.length ? `, ${e[0]!.toFixed(2)} at end` : ''} (1 min)`);
  else parts.push('load average not recorded');
  const opts = optionsText({ ...(d.options ?? {}), ...(extraOptions ?? {}) });
  return `${parts.join('; ')}.${opts ? ` Options: \`${opts}\`.` : ''}${d.command ? ` Command: \`${d.command}\`.` : ''}`;
}

function subtitle(d: Json, what: string): string {
  const s = d.machine?.loadavgAtStart;
  return `${what} · run ${when(d.at)}${s?.length ? `, load ${s[0]!.toFixed(2)}` : ''}`;
}

function need<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new Error(`no ${what}`);
  return v;
}

// ---------------------------------------------------------------- T1, T2 (timers.json)

interface TimerRow {
  system: string;
  test: string;
  kind: string;
  expected: number;
  received: number;
  missing: number;
  lateMs: Summary;
  over1500ms: number;
  ratePerSecond?: { median: number };
}

const BULLMQ = 'one BullMQ job per deadline';

function timerRows(d: Json, test: 'T1' | 'T2'): { v: TimerRow; b: TimerRow | undefined } {
  const rows = need(d.rows as TimerRow[] | undefined, 'rows');
  const v = need(rows.find((r) => r.system === 'vigil' && r.test === test && r.kind === 'all'), `Vigil ${test} row`);
  return { v, b: rows.find((r) => r.system === 'baseline' && r.test === test && r.kind === 'all') };
}

function latencyChart(id: string, title: string, sub: string, v: Summary, b: Summary | undefined, baseName: string, targets: Array<{ value: number; label: string; group?: string }>): Chart {
  const keys = ['p50', 'p90', 'p99', 'max'] as const;
  return {
    file: `${id}.svg`,
    svg: barChart({
      title, subtitle: sub, yLabel: 'lateness (ms, log scale)', xLabel: 'percentile of all events',
      groups: [...keys], log: true,
      series: [{ name: 'Vigil', values: keys.map((k) => v[k]), color: COLOR.vigil }, ...(b ? [{ name: baseName, values: keys.map((k) => b[k]), color: COLOR.baseline }] : [])],
      targets,
    }),
  };
}

function latencyRows(v: Summary, b: Summary | undefined, targets: Partial<Record<'p50' | 'p90' | 'p99' | 'max', string>>): Array<Array<string>> {
  return (['p50', 'p90', 'p99', 'max'] as const).map((k) => [`${k} lateness`, ms(v[k]), b ? ms(b[k]) : '–', targets[k] ?? '', b ? ratio(b[k], v[k]) : '–']);
}

const T1: TargetSpec = {
  id: 'T1', files: ['timers.json'], command: 'npm run bench:timers',
  build([d], img) {
    const { v, b } = timerRows(d!, 'T1');
    const sessions = (d!.sessions as { liveAtT1?: number } | undefined)?.liveAtT1 ?? (d!.options?.sessions as number);
    const rate = v.ratePerSecond?.median ?? (d!.options?.rate as number);
    const ok = v.lateMs.p50 <= 20 && v.lateMs.p99 <= 100 && v.missing === 0;
    const r = b ? ratio(b.lateMs.p99, v.lateMs.p99) : '–';
    const headline = `**T1** timer lateness at ${num(sessions)} live sessions and ${num(rate)} deadlines/s: p99 ${ms(v.lateMs.p99)}${b ? ` vs ${ms(b.lateMs.p99)} for ${BULLMQ} — **${r} lower**` : ''}; ${v.missing} missing (target p50 ≤ 20 ms, p99 ≤ 100 ms, none missing: ${met(ok)})`;
    const chart = latencyChart('T1', `T1 timer lateness: p99 ${ms(v.lateMs.p99)}${b ? ` vs ${ms(b.lateMs.p99)}, ${r} lower than ${BULLMQ}` : ''}`,
      subtitle(d!, `${num(sessions)} live sessions, ${num(rate)} deadlines/s; WebSocket receipt − deadline`),
      v.lateMs, b?.lateMs, BULLMQ, [{ value: 20, label: 'p50 ≤ 20 ms', group: 'p50' }, { value: 100, label: 'p99 ≤ 100 ms', group: 'p99' }]);
    const rows = [
      ...latencyRows(v.lateMs, b?.lateMs, { p50: '≤ 20 ms', p99: '≤ 100 ms' }),
      ['events received', `${num(v.received)} of ${num(v.expected)}`, b ? `${num(b.received)} of ${num(b.expected)}` : '–', 'all', ''],
      ['later than 1.5 s', num(v.over1500ms), b ? num(b.over1500ms) : '–', '', ''],
    ];
    const body = [
      mdTable(['T1 (warnings and expiries)', 'Vigil', BULLMQ, 'target', 'baseline ÷ Vigil'], rows),
      '',
      `T1 in this run: ${met(ok)}. ${runLine(d!)}`,
      '',
      img('T1.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

const T2: TargetSpec = {
  id: 'T2', files: ['timers.json'], command: 'npm run bench:timers',
  build([d], img) {
    const { v, b } = timerRows(d!, 'T2');
    const storm = (d!.options?.storm as number | undefined) ?? v.expected / 2;
    const ok = v.lateMs.max <= 1500 && v.missing === 0;
    const r = b ? ratio(b.lateMs.max, v.lateMs.max) : '–';
    const headline = `**T2** expiry storm of ${num(storm)} sessions due in one second: the last event ${ms(v.lateMs.max)} late${b ? ` vs ${ms(b.lateMs.max)} for ${BULLMQ} — **${r} sooner**` : ''}; ${num(v.over1500ms)} of ${num(v.expected)} later than 1.5 s (target all ≤ 1.5 s: ${met(ok)})`;
    const chart = latencyChart('T2', `T2 expiry storm: max ${ms(v.lateMs.max)}${b ? ` vs ${ms(b.lateMs.max)}, ${r} sooner than ${BULLMQ}` : ''}`,
      subtitle(d!, `${num(storm)} sessions whose deadlines fall in the same second (warnings and expiries)`),
      v.lateMs, b?.lateMs, BULLMQ, [{ value: 1500, label: 'all ≤ 1.5 s' }]);
    const rows = [
      ...latencyRows(v.lateMs, b?.lateMs, { max: '≤ 1,500 ms' }),
      ['events received', `${num(v.received)} of ${num(v.expected)}`, b ? `${num(b.received)} of ${num(b.expected)}` : '–', 'all', ''],
      ['later than 1.5 s', num(v.over1500ms), b ? num(b.over1500ms) : '–', 'none', ''],
    ];
    const body = [
      mdTable(['T2 (warnings and expiries)', 'Vigil', BULLMQ, 'target', 'baseline ÷ Vigil'], rows),
      '',
      `T2 in this run: ${met(ok)}. ${runLine(d!)}`,
      '',
      img('T2.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

// ---------------------------------------------------------------- T3, T4 (ingest.json)

interface IngestRun {
  test: string;
  serverPerSec: number;
  clientPerSec: number;
  errors: number;
  latencyMs: Summary | null;
  cpu: Record<string, number>;
}

interface Ceiling {
  what: string;
  P: number;
  rps: number;
}

function ingest(d: Json, which: 'T3' | 'T4') {
  const run = need((d.runs as IngestRun[] | undefined)?.find((r) => r.test.startsWith(which)), `${which} run`);
  const ceilings = need(d.ceilings as Ceiling[] | undefined, 'ceilings');
  const script = which === 'T3' ? 'touch' : 'resolve';
  const ceil = need(ceilings.find((c) => c.P === 16 && c.what.includes(script)) ?? ceilings.find((c) => c.what.includes(script)), `${which} ceiling`);
  const ceil1 = ceilings.find((c) => c.P === 1 && c.what.includes(script));
  return { run, ceil, ceil1 };
}

function ingestChart(id: string, title: string, sub: string, vigilName: string, v: number, ceilName: string, c: number, target: { value: number; label: string }): Chart {
  return {
    file: `${id}.svg`,
    svg: barChart({
      title, subtitle: sub, yLabel: 'activity events per second', stacked: true,
      groups: [vigilName, ceilName],
      series: [{ name: 'Vigil', values: [v, null], color: COLOR.vigil }, { name: 'ceiling (same Lua script, no Vigil)', values: [null, c], color: COLOR.other }],
      targets: [target],
    }),
  };
}

function ingestBody(id: string, d: Json, run: IngestRun, ceil: Ceiling, ceil1: Ceiling | undefined, target: string, ok: boolean, img: (f: string) => string): string {
  const l = run.latencyMs;
  return [
    mdTable([`${id}`, 'Vigil /s', `ceiling /s (EVALSHA, pipeline ${ceil.P})`, 'of the ceiling', 'target', 'p50 / p99 / max', 'errors', 'CPU server / redis / load'], [[
      run.test, Math.round(run.serverPerSec), Math.round(ceil.rps), pct(run.serverPerSec / ceil.rps), target,
      l ? `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}` : '–', run.errors, `${run.cpu.server ?? '–'} / ${run.cpu.redis ?? '–'} / ${run.cpu.loadgen ?? '–'}`,
    ]]),
    '',
    `Vigil /s: EVALSHA calls counted by Redis (INFO commandstats) less the idle rate; the client counted ${num(Math.round(run.clientPerSec))}/s.${ceil1 ? ` Ceiling without pipelining: ${num(Math.round(ceil1.rps))}/s.` : ''}`,
    '',
    `${id} in this run: ${met(ok)}. ${runLine(d)}`,
    '',
    img(`${id}.svg`),
  ].join('\n');
}

const T3: TargetSpec = {
  id: 'T3', files: ['ingest.json'], command: 'npm run bench:ingest',
  build([d], img) {
    const { run, ceil, ceil1 } = ingest(d!, 'T3');
    const share = run.serverPerSec / ceil.rps;
    const ok = share >= 0.8;
    const sockets = d!.options?.sockets as number | undefined;
    const headline = `**T3** WebSocket activity ingest${sockets ? ` from ${num(sockets)} sockets` : ''}: ${num(Math.round(run.serverPerSec))}/s, **${pct(share)} of the ceiling** (redis-benchmark EVALSHA of the same script, ${num(Math.round(ceil.rps))}/s) (target ≥ 80 %: ${met(ok)})`;
    const chart = ingestChart('T3', `T3 WebSocket activity ingest: ${num(Math.round(run.serverPerSec))}/s = ${pct(share)} of the EVALSHA ceiling`,
      subtitle(d!, `${sockets ? `${num(sockets)} session sockets; ` : ''}ceiling: redis-benchmark EVALSHA touch-session, pipeline ${ceil.P}`),
      'Vigil, /ws activity frames', Math.round(run.serverPerSec), 'ceiling: redis-benchmark', Math.round(ceil.rps), { value: 0.8 * ceil.rps, label: '80 % of the ceiling' });
    return { headline, body: ingestBody('T3', d!, run, ceil, ceil1, '≥ 80 % of the ceiling', ok, img), charts: [chart] };
  },
};

const T4: TargetSpec = {
  id: 'T4', files: ['ingest.json'], command: 'npm run bench:ingest',
  build([d], img) {
    const { run, ceil, ceil1 } = ingest(d!, 'T4');
    const ok = run.serverPerSec >= 12_000;
    const conns = d!.options?.connections as number | undefined;
    const headline = `**T4** REST activity ingest${conns ? ` over ${num(conns)} keep-alive connections` : ''}: **${num(Math.round(run.serverPerSec))}/s**, ${pct(run.serverPerSec / ceil.rps)} of the ceiling (${num(Math.round(ceil.rps))}/s) (target ≥ 12,000/s: ${met(ok)})`;
    const chart = ingestChart('T4', `T4 REST activity ingest: ${num(Math.round(run.serverPerSec))}/s, ${pct(run.serverPerSec / ceil.rps)} of the EVALSHA ceiling`,
      subtitle(d!, `${conns ? `${num(conns)} keep-alive connections; ` : ''}ceiling: redis-benchmark EVALSHA resolve-token, pipeline ${ceil.P}`),
      'Vigil, POST …/sessions/current/activity', Math.round(run.serverPerSec), 'ceiling: redis-benchmark', Math.round(ceil.rps), { value: 12_000, label: '≥ 12,000/s' });
    return { headline, body: ingestBody('T4', d!, run, ceil, ceil1, '≥ 12,000/s', ok, img), charts: [chart] };
  },
};

// ---------------------------------------------------------------- T5 (fanout.json)

interface FanoutResult {
  system: string;
  rate: number;
  clients: number;
  ingestedPerSec: number;
  complete: number;
  resyncs: number;
  latencyMs: Summary | null;
  bytesPerActivity: number;
  mbPerSecToClients: number;
  finalState: { checked: number; exact: number; sameAsChecked: number } | null;
  cpu: Record<string, number>;
}

const systemOf = (s: string): 'changes' | 'full' | 'naive' => (s.includes('changes') ? 'changes' : s.includes('full') ? 'full' : 'naive');
const SYSTEM_NAME = { changes: 'Vigil, detail changes', full: 'Vigil, detail full', naive: 'naive per-event ws broadcast' } as const;
const SYSTEM_COLOR = { changes: COLOR.vigil, full: COLOR.baseline, naive: COLOR.other } as const;

const T5: TargetSpec = {
  id: 'T5', files: ['fanout.json'], command: 'npm run bench:fanout',
  build([d], img) {
    const results = need(d!.results as FanoutResult[] | undefined, 'results');
    const rates = [...new Set(results.map((r) => r.rate))].sort((a, b) => a - b);
    const top = (d!.options?.rate as number | undefined) && rates.includes(d!.options!.rate as number) ? (d!.options!.rate as number) : rates[rates.length - 1]!;
    const at = (sys: string, rate: number) => results.find((r) => systemOf(r.system) === sys && r.rate === rate);
    const c = need(at('changes', top), `changes result at ${top}/s`);
    const f = at('full', top);
    const naiveMax = Math.max(0, ...results.filter((r) => systemOf(r.system) === 'naive').map((r) => r.ingestedPerSec));
    const p99 = c.latencyMs?.p99 ?? NaN;
    const exact = (r: FanoutResult) => (r.finalState ? r.finalState.exact === r.finalState.checked && r.finalState.sameAsChecked === r.clients : false);
    // `changes` coalesces activity per session per batch, so a client need not get every activity
    // event: what must hold is that its final state equals Redis
    const ok = exact(c) && p99 <= 150 && c.bytesPerActivity <= 300;
    const state = c.finalState ? `final state equal to Redis in ${c.finalState.exact} of ${c.finalState.checked} checked clients (${num(c.finalState.sameAsChecked)} of ${num(c.clients)} got the same frames)` : 'final state not checked';
    const headline = `**T5** fan-out to ${num(c.clients)} \`sessions\` subscribers at ${num(top)} activity events/s, \`detail: "changes"\`: ${num(Math.round(c.bytesPerActivity))} B per activity per client${f ? ` vs ${num(Math.round(f.bytesPerActivity))} B in full — **${ratio(f.bytesPerActivity, c.bytesPerActivity)} fewer bytes**` : ''}; p99 ${ms(p99)}; ${state}; the naive broadcast peaks at ${num(Math.round(naiveMax))}/s (target p99 ≤ 150 ms, ≤ 300 B, every client equal to Redis: ${met(ok)})`;

    const systems = (['changes', 'full', 'naive'] as const).filter((s) => results.some((r) => systemOf(r.system) === s));
    const latency: Chart = {
      file: 'T5.svg',
      svg: lineChart({
        title: `T5 fan-out p99 delivery vs ingest rate: at ${num(top)}/s ${ms(p99)} with changes${f?.latencyMs ? `, ${ms(f.latencyMs.p99)} full` : ''}; the naive broadcast peaks at ${num(Math.round(naiveMax))}/s`,
        subtitle: subtitle(d!, `${num(c.clients)} sessions subscribers in their own processes; ingest → client receipt`),
        xLabel: 'activity events ingested per second (achieved, log scale)', yLabel: 'p99 delivery latency (ms, log scale)', logX: true, logY: true, labels: true,
        series: systems.map((s) => ({
          name: SYSTEM_NAME[s], color: SYSTEM_COLOR[s],
          points: results.filter((r) => systemOf(r.system) === s && r.latencyMs).map((r) => ({ x: r.ingestedPerSec, y: r.latencyMs!.p99 })),
        })),
        targets: [{ value: 150, label: 'p99 ≤ 150 ms' }],
      }),
    };
    const bytes: Chart = {
      file: 'T5-bytes.svg',
      svg: barChart({
        title: `T5 bytes on the wire per activity per client: ${num(Math.round(c.bytesPerActivity))} B with changes${f ? ` vs ${num(Math.round(f.bytesPerActivity))} B full (${ratio(f.bytesPerActivity, c.bytesPerActivity)} fewer)` : ''}`,
        subtitle: subtitle(d!, 'frames\u2019 share included; naive: each event sent whole to every client'),
        yLabel: 'bytes per activity per client', xLabel: 'offered activity events per second',
        groups: rates.map((r) => `${num(r)}/s`),
        series: systems.map((s) => ({ name: SYSTEM_NAME[s], color: SYSTEM_COLOR[s], values: rates.map((r) => at(s, r)?.bytesPerActivity ?? null).map((v) => (v === null ? null : Math.round(v))) })),
        targets: [{ value: 300, label: '≤ 300 B' }],
      }),
    };
    const rows = rates.flatMap((rate) => systems.map((s) => at(s, rate)).filter((r): r is FanoutResult => !!r).map((r) => [
      num(r.rate), SYSTEM_NAME[systemOf(r.system)], Math.round(r.ingestedPerSec), `${num(r.complete)} of ${num(r.clients)}`,
      r.latencyMs ? ms(r.latencyMs.p50) : '–', r.latencyMs ? ms(r.latencyMs.p99) : '–', r.latencyMs ? ms(r.latencyMs.max) : '–',
      Math.round(r.bytesPerActivity), num(r.mbPerSecToClients),
      r.finalState ? `${r.finalState.exact} of ${r.finalState.checked} checked; ${num(r.finalState.sameAsChecked)} same` : '–',
      r.cpu.server ?? '–',
    ]));
    const body = [
      mdTable(['offered /s', 'system', 'ingested /s', 'clients complete', 'p50', 'p99', 'max', 'B / activity / client', 'MB/s out', 'final state = Redis', 'server CPU (cores)'], rows),
      '',
      `Target at ${num(top)}/s (\`changes\`): every client's final state equal to Redis, p99 ≤ 150 ms, ≤ 300 B per activity per client — ${met(ok)} in this run. "clients complete": clients that received an activity event for every one ingested (with \`changes\`, activity is coalesced per session per batch, so fewer is expected under load); "final state": sampled clients' session lists compared with GET /sessions field by field, and how many clients got exactly the same frames as an exact one. ${runLine(d!)}`,
      '',
      img('T5.svg'),
      '',
      img('T5-bytes.svg'),
    ].join('\n');
    return { headline, body, charts: [latency, bytes] };
  },
};

// ---------------------------------------------------------------- T5w (walls.json)


const T5w: TargetSpec = {
  id: 'T5w', files: ['walls.json'], command: 'npm run bench:walls',
  build([d], img) {
    const results = need(d!.results as WallsResult[] | undefined, 'results');
    const s = need(results.find((r) => r.topic === 'stats'), 'stats walls');
    const b = results.find((r) => r.topic === 'sessions');
    const cpu = (r: WallsResult) => r.cpu.server ?? NaN;
    const ok = cpu(s) <= 0.25 && s.framesPerWallPerSec <= 1.0001;
    const rate = Math.round(s.events / s.seconds);
    const headline = `**T5w** ${num(s.walls)} \`stats\` walls at ${num(rate)} events/s: ${num(cpu(s))} core of server CPU${b ? ` vs ${num(cpu(b))} on \`sessions\` — **${ratio(cpu(b), cpu(s))} less**` : ''}, ${num(s.framesPerWallPerSec)} message per wall per second (target ≤ 0.25 core, ≤ 1/s: ${met(ok)})`;
    const groups = ['walls on stats', ...(b ? ['walls on sessions (baseline)'] : [])];
    const charts: Chart[] = [
      {
        file: 'T5w.svg',
        svg: barChart({
          title: `T5w walls: server CPU ${num(cpu(s))} core on stats${b ? ` vs ${num(cpu(b))} on sessions (${ratio(cpu(b), cpu(s))} less)` : ''}`,
          subtitle: subtitle(d!, `${num(s.walls)} walls, ${num(rate)} activity events/s ingested`),
          yLabel: 'server CPU (cores)', groups, stacked: true,
          series: [{ name: 'stats topic', values: [cpu(s), null], color: COLOR.vigil }, ...(b ? [{ name: 'sessions topic', values: [null, cpu(b)], color: COLOR.baseline }] : [])],
          targets: [{ value: 0.25, label: '≤ 0.25 core' }],
        }),
      },
      {
        file: 'T5w-messages.svg',
        svg: barChart({
          title: `T5w walls: ${num(s.framesPerWallPerSec)} message per wall per second on stats${b ? ` vs ${num(b.framesPerWallPerSec)} on sessions` : ''}`,
          subtitle: subtitle(d!, `${num(s.walls)} walls, ${num(rate)} activity events/s ingested`),
          yLabel: 'messages per wall per second (log scale)', groups, stacked: true, log: true,
          series: [{ name: 'stats topic', values: [s.framesPerWallPerSec, null], color: COLOR.vigil }, ...(b ? [{ name: 'sessions topic', values: [null, b.framesPerWallPerSec], color: COLOR.baseline }] : [])],
          targets: [{ value: 1, label: '≤ 1 per second' }],
        }),
      },
    ];
    const row = (r: WallsResult) => [r.topic, num(r.walls), Math.round(r.events / r.seconds), num(r.framesPerWallPerSec), Math.round(r.bytesPerWallPerSec), num(r.mbPerSecOut), r.cpu.server ?? '–', r.cpu.redis ?? '–'];
    const body = [
      mdTable(['walls on', 'walls', 'activities /s', 'messages / wall / s', 'bytes / wall / s', 'MB/s out', 'server CPU (cores)', 'Redis CPU (cores)'], [row(s), ...(b ? [row(b)] : [])]),
      '',
      `T5w in this run: ${met(ok)}. ${runLine(d!)}`,
      '',
      img('T5w.svg'),
      '',
      img('T5w-messages.svg'),
    ].join('\n');
    return { headline, body, charts };
  },
};

// ---------------------------------------------------------------- T6, T7 (memory.json)

type MemPoint = Point;

interface MemRun {
  points: MemPoint[];
  perSession: { allIn: number; noStream: number; streamTotal: number };
}

const KEYCLOAK = 'Keycloak (RHBK 24 sizing)';

const T6: TargetSpec = {
  id: 'T6', files: ['memory.json'], command: 'npm run bench:memory',
  build([d], img) {
    const run = need(d!.listpack512 as MemRun | undefined, 'listpack512 run');
    const kc = (d!.keycloakBytesPerSession as number | undefined) ?? 5120;
    const target = (d!.targetBytesPerSession as number | undefined) ?? 1024;
    const allIn = run.perSession.allIn;
    const n = run.points[run.points.length - 1]?.sessions ?? (d!.options?.sessions as number);
    const breakdowns = (d!.breakdowns as Record<string, Record<string, number>> | undefined) ?? {};
    const parts = Object.values(breakdowns)[0] ?? {};
    const known = Object.values(parts).reduce((a, v) => a + v, 0);
    const structures = [...Object.entries(parts).filter(([, v]) => v > 0), ...(allIn - known > 0 ? [['Redis key table, allocator (the rest)', allIn - known] as [string, number]] : [])];
    const ok = allIn <= target;
    const headline = `**T6** Redis memory per live session at ${num(n)} sessions, all in: **${num(Math.round(allIn))} B** vs ≈ ${num(kc)} B for ${KEYCLOAK} — **${ratio(kc, allIn)} less** (target ≤ 1 KiB: ${met(ok)})`;
    const chart: Chart = {
      file: 'T6.svg',
      svg: barChart({
        title: `T6 Redis memory per live session: ${num(Math.round(allIn))} B all in vs ${num(kc)} B for Keycloak (${ratio(kc, allIn)} less)`,
        subtitle: subtitle(d!, `${num(n)} sessions, INFO memory used_memory growth ÷ sessions; the split from MEMORY USAGE`),
        yLabel: 'bytes per live session', stacked: true,
        groups: ['Vigil, all in', KEYCLOAK],
        series: [
          ...structures.map(([name, v], i) => ({ name, values: [Math.round(v), null], color: ['#1d4ed8', '#3b82f6', '#60a5fa', '#93c5fd', '#0ea5e9', '#bfdbfe', '#a5b4fc'][i % 7] })),
          { name: 'Keycloak: 500 MB per 100k sessions', values: [null, kc], color: COLOR.other },
        ],
        targets: [{ value: target, label: '≤ 1 KiB all in' }],
      }),
    };
    const def = d!.redisDefaults as MemRun | null | undefined;
    const rows: Array<Array<string | number>> = [
      ['Vigil, hash-max-listpack-value 512 (as embedded)', num(n), Math.round(allIn), Math.round(run.perSession.noStream), num(run.perSession.streamTotal / 1048576), `≤ ${num(target)}`, ratio(kc, allIn)],
      ...(def ? [['Vigil, Redis defaults', num(def.points[def.points.length - 1]?.sessions ?? n), Math.round(def.perSession.allIn), Math.round(def.perSession.noStream), num(def.perSession.streamTotal / 1048576), `≤ ${num(target)}`, ratio(kc, def.perSession.allIn)]] : []),
      [KEYCLOAK, '', kc, '', '', '', '1×'],
    ];
    const body = [
      mdTable(['configuration', 'sessions', 'B / session all in', 'B / session without the stream', 'stream MiB', 'target B', 'Keycloak ÷ Vigil'], rows),
      '',
      mdTable(['where the bytes go (MEMORY USAGE)', 'B / session'], structures.map(([k, v]) => [k, Math.round(v)])),
      '',
      `T6 in this run: ${met(ok)}. ${runLine(d!)}`,
      '',
      img('T6.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

/** More than this per session and Node would be holding something per session (a JS object or a timer costs more). */
const FLAT_BYTES_PER_SESSION = 64;

const T7: TargetSpec = {
  id: 'T7', files: ['memory.json'], command: 'npm run bench:memory',
  build([d], img) {
    const run = need(d!.listpack512 as MemRun | undefined, 'listpack512 run');
    const pts = run.points;
    const first = need(pts[0], 'points');
    const last = pts[pts.length - 1]!;
    const MiB = 1048576;
    const dHeap = last.heapUsed - first.heapUsed;
    const per = last.sessions > first.sessions ? dHeap / (last.sessions - first.sessions) : NaN;
    const dRedis = last.usedMemory - first.usedMemory;
    const ok = per < FLAT_BYTES_PER_SESSION;
    const headline = `**T7** Node heap from ${num(first.sessions)} to ${num(last.sessions)} live sessions: ${dHeap >= 0 ? '+' : ''}${num(dHeap / MiB)} MiB (${num(per)} B per session) while Redis grew ${num(dRedis / MiB)} MiB (target flat, under ${FLAT_BYTES_PER_SESSION} B per session: ${met(ok)})`;
    const chart: Chart = {
      file: 'T7.svg',
      svg: lineChart({
        title: `T7 Node heap vs live sessions: ${dHeap >= 0 ? '+' : ''}${num(dHeap / MiB)} MiB over ${num(last.sessions)} sessions (Redis +${num(dRedis / MiB)} MiB)`,
        subtitle: subtitle(d!, 'heapUsed after global.gc() in the server process; Redis used_memory beside it'),
        xLabel: 'live sessions', yLabel: 'memory (MiB)', labels: true, xTicks: pts.map((p) => p.sessions),
        series: [
          { name: 'Node heapUsed (Vigil)', color: COLOR.vigil, points: pts.map((p) => ({ x: p.sessions, y: p.heapUsed / MiB })) },
          { name: 'Redis used_memory (where sessions live)', color: COLOR.other, points: pts.map((p) => ({ x: p.sessions, y: p.usedMemory / MiB })) },
        ],
        targets: [{ value: first.heapUsed / MiB, label: 'flat: heap at 0 sessions' }],
      }),
    };
    const body = [
      mdTable(['live sessions', 'Node heapUsed MiB', 'Δ vs first MiB', 'Δ B / session', 'Node RSS MiB', 'Redis used_memory MiB', 'Redis keys'], pts.map((p) => [
        num(p.sessions), num(p.heapUsed / MiB), num((p.heapUsed - first.heapUsed) / MiB), p.sessions > first.sessions ? num((p.heapUsed - first.heapUsed) / (p.sessions - first.sessions)) : '–',
        num(p.rss / MiB), num(p.usedMemory / MiB), num(p.keys),
      ])),
      '',
      `T7 in this run: ${met(ok)} (flat: the heap grows by less than ${FLAT_BYTES_PER_SESSION} B per session). ${runLine(d!)}`,
      '',
      img('T7.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

// ---------------------------------------------------------------- T8 (dashboard.json)

interface DashScenario {
  scenario: string;
  sessions: number;
  firstRenderMs: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  over16ms: number;
  longTasks: number;
  rowsInDom: number;
}

const T8: TargetSpec = {
  id: 'T8', files: ['dashboard.json'], command: 'npm run bench:dashboard',
  build([d], img) {
    const sc = need(d!.scenarios as DashScenario[] | undefined, 'scenarios');
    const v = need(sc.find((s) => !s.scenario.startsWith('baseline')), 'the virtualised scenario');
    const plain = sc.find((s) => s.scenario.includes('not virtualised'));
    // frames come at vsync: the bench allows 0.5 ms of jitter on the 16.7 ms frame (bench/dashboard.ts `met`)
    const ok = v.firstRenderMs <= 500 && v.p95 <= 16.7 + 0.5;
    const headline = `**T8** dashboard in Chromium, ${num(v.sessions)}-session snapshot then ${num((d!.eventsPerSecond as number | undefined) ?? 200)} events/s: first render ${ms(v.firstRenderMs)}, p95 frame ${ms(v.p95)}${plain ? ` vs ${ms(plain.firstRenderMs)} and ${ms(plain.p95)} not virtualised — **${ratio(plain.firstRenderMs, v.firstRenderMs)} faster first render**` : ''} (target ≤ 500 ms, p95 ≤ one 60 Hz frame, 16.7 ms + 0.5 ms vsync jitter: ${met(ok)})`;
    const groups = ['first render', 'p50 frame', 'p95 frame', 'p99 frame'];
    const colors = [COLOR.vigil, COLOR.other, COLOR.baseline];
    const chart: Chart = {
      file: 'T8.svg',
      svg: barChart({
        title: `T8 dashboard: first render ${ms(v.firstRenderMs)}, p95 frame ${ms(v.p95)}${plain ? ` (not virtualised: ${ms(plain.firstRenderMs)}, ${ms(plain.p95)})` : ''}`,
        subtitle: subtitle(d!, `<vigil-access> in Chromium${d!.chromium ? ` ${String(d!.chromium)}` : ''}, ${num((d!.eventsPerSecond as number | undefined) ?? 200)} events/s`),
        yLabel: 'time (ms, log scale)', log: true, groups,
        series: sc.map((s, i) => ({ name: s.scenario, color: colors[i % colors.length], values: [s.firstRenderMs, s.p50, s.p95, s.p99] })),
        targets: [{ value: 500, label: '≤ 500 ms', group: 'first render' }, { value: 16.7, label: '≤ 16.7 ms', group: 'p95 frame' }],
      }),
    };
    const body = [
      mdTable(['scenario', 'first render', 'p50 frame', 'p95 frame', 'p99 frame', 'max frame', 'frames > 16.7 ms', 'long tasks', 'rows in DOM'], sc.map((s) => [
        s.scenario, ms(s.firstRenderMs), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), `${num(s.over16ms)} %`, s.longTasks, num(s.rowsInDom),
      ])),
      '',
      `T8 in this run: ${met(ok)}. ${runLine(d!, { secondsPerScenario: d!.secondsPerScenario, eventsPerSecond: d!.eventsPerSecond, batchMs: d!.batchMs })}`,
      '',
      img('T8.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

// ---------------------------------------------------------------- T9 (restart.json)

interface RestartKind {
  expected: number;
  fired: number;
  lost: number;
  doubled: number;
  vsReadyMs: Summary;
  vsDeadlineMs: Summary;
  overTargetAfterReady: number;
  drainMs: number;
}

interface RestartPhase {
  sessions: number;
  spawnAt: number;
  readyAt: number;
  warnings: RestartKind;
  expiries: RestartKind;
}

const T9: TargetSpec = {
  id: 'T9', files: ['restart.json'], command: 'npm run bench:restart',
  build([d], img) {
    const v = need(d!.vigil as RestartPhase | undefined, 'vigil phase');
    const b = (d!.baseline as RestartPhase | null | undefined) ?? undefined;
    const target = (d!.targetMs as number | undefined) ?? 2000;
    const lostDoubled = (p: RestartPhase) => p.warnings.lost + p.expiries.lost + p.warnings.doubled + p.expiries.doubled;
    const ok = typeof d!.met === 'boolean' ? (d!.met as boolean) : lostDoubled(v) === 0 && v.warnings.overTargetAfterReady === 0;
    const headline = `**T9** restart after SIGKILL with ${num(v.sessions)} sessions: the last overdue warning fired ${ms(v.warnings.vsReadyMs.max)} after ready${b ? ` vs ${ms(b.warnings.vsReadyMs.max)} for ${BULLMQ} (backlog drained **${ratio(b.warnings.drainMs, v.warnings.drainMs)} faster**)` : ''}; ${v.warnings.lost + v.expiries.lost} lost, ${v.warnings.doubled + v.expiries.doubled} doubled (target ≤ 2 s, none lost or doubled: ${met(ok)})`;
    const keys = ['p50', 'p99', 'max'] as const;
    const chart: Chart = {
      file: 'T9.svg',
      svg: barChart({
        title: `T9 restart after SIGKILL: last overdue warning ${ms(v.warnings.vsReadyMs.max)} after ready${b ? ` vs ${ms(b.warnings.vsReadyMs.max)} for ${BULLMQ}` : ''}`,
        subtitle: subtitle(d!, `${num(v.sessions)} sessions; event time in the stream − when the new process was ready`),
        yLabel: 'overdue warning fired after ready (ms)', xLabel: 'percentile of the overdue warnings', groups: [...keys],
        series: [{ name: 'Vigil', color: COLOR.vigil, values: keys.map((k) => v.warnings.vsReadyMs[k]) }, ...(b ? [{ name: BULLMQ, color: COLOR.baseline, values: keys.map((k) => b.warnings.vsReadyMs[k]) }] : [])],
        targets: [{ value: target, label: '≤ 2 s after ready' }],
      }),
    };
    const row = (name: string, p: RestartPhase) => [
      name, num(p.warnings.expected), `${p.warnings.lost} / ${p.warnings.doubled}`, ms(p.warnings.vsReadyMs.p50), ms(p.warnings.vsReadyMs.p99), ms(p.warnings.vsReadyMs.max), ms(p.warnings.drainMs),
      `${p.expiries.lost} / ${p.expiries.doubled}`, ms(p.expiries.vsDeadlineMs.p99), `${num(p.readyAt - p.spawnAt)} ms`,
    ];
    const body = [
      mdTable(['system', 'overdue warnings', 'lost / doubled', 'p50 after ready', 'p99 after ready', 'max after ready', 'backlog drained in', 'expiries lost / doubled', 'expiry p99 vs deadline', 'spawn → ready'], [row('Vigil', v), ...(b ? [row(BULLMQ, b)] : [])]),
      '',
      `T9 in this run: ${met(ok)}. TrueNAS, the anchor, keeps no session across a restart (not run). ${runLine(d!)}`,
      '',
      img('T9.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

// ---------------------------------------------------------------- T10 (oidc.json)

interface OidcPhase {
  name: string;
  perSecond: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

const T10: TargetSpec = {
  id: 'T10', files: ['oidc.json'], command: 'npm run bench:oidc',
  build([d], img) {
    const phases = need(d!.phases as OidcPhase[] | undefined, 'phases');
    const cpus = need((d!.cpus as number | undefined) ?? d!.machine?.cpus, 'cpus');
    const login = need(phases.find((p) => p.name === 'login'), 'login phase');
    const argon = phases.find((p) => p.name.startsWith('argon'));
    const refresh = phases.find((p) => p.name === 'refresh');
    const kcPerCore = ((d!.keycloakSizing as { loginsPerSecond?: number } | undefined)?.loginsPerSecond ?? 15 * cpus) / cpus;
    const perCore = login.perSecond / cpus;
    const ok = perCore >= 15;
    const headline = `**T10** password logins (Argon2id at OWASP strength): **${num(perCore)}/s per core** vs Keycloak's ${num(kcPerCore)}/s per vCPU — **${ratio(perCore, kcPerCore)}**${argon ? `, ${pct(login.perSecond / argon.perSecond)} of raw Argon2id verification` : ''} (target ≥ 15/s per core: ${met(ok)})`;
    const groups = ['Vigil: password logins', ...(argon ? ['raw Argon2id verify (ceiling)'] : []), 'Keycloak sizing'];
    const chart: Chart = {
      file: 'T10.svg',
      svg: barChart({
        title: `T10 password logins: ${num(perCore)}/s per core vs Keycloak's ${num(kcPerCore)}/s per vCPU (${ratio(perCore, kcPerCore)})`,
        subtitle: subtitle(d!, `password grants at /realms/{realm}/protocol/openid-connect/token, ${cpus} cores`),
        yLabel: 'per second per core', stacked: true, groups,
        series: [
          { name: 'Vigil', color: COLOR.vigil, values: [perCore, ...(argon ? [null] : []), null] },
          ...(argon ? [{ name: 'Argon2id alone, no HTTP or Redis', color: COLOR.other, values: [null, argon.perSecond / cpus, null] }] : []),
          { name: 'Keycloak: 15 logins/s per vCPU', color: COLOR.baseline, values: [null, ...(argon ? [null] : []), kcPerCore] },
        ],
        targets: [{ value: 15, label: '≥ 15/s per core' }],
      }),
    };
    const body = [
      mdTable(['phase', 'per second', 'per second per core', 'errors', 'p50', 'p99', 'max'], phases.map((p) => [p.name, num(p.perSecond), num(p.perSecond / cpus), p.errors, ms(p.p50), ms(p.p99), ms(p.max)])),
      '',
      `Keycloak's sizing: ${num(kcPerCore)} password logins/s${refresh ? ' and 120 refresh grants/s' : ''} per vCPU. T10 in this run: ${met(ok)}. ${runLine(d!, { seconds: d!.seconds, concurrency: d!.concurrency })}`,
      '',
      img('T10.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

// ---------------------------------------------------------------- T11 (outage.json)

interface OutagePhase {
  kind: string;
  requests: { issued: number; answered: number; noAnswer: number; statuses: Record<string, number>; answerMs: Summary; overTarget: number; firstSuccessAfterBackMs: number | null };
  warnings: { due: number; fired: number; lost: number; doubled: number; lateMs: Summary; overTarget: number };
  expiries: { due: number; fired: number; lost: number; doubled: number; lateMs: Summary; overTarget: number };
}

const T11: TargetSpec = {
  id: 'T11', files: ['outage.json'], command: 'npm run bench:outage',
  build([d], img) {
    const phases = need(d!.phases as OutagePhase[] | undefined, 'phases');
    const base = phases.find((p) => p.kind === 'baseline');
    const outages = phases.filter((p) => p.kind !== 'baseline');
    if (!outages.length) throw new Error('no outage phase');
    const target = (d!.targetMs as number | undefined) ?? 2000;
    const worst = outages.reduce((a, p) => (p.requests.answerMs.max > a.requests.answerMs.max ? p : a));
    const latestTimer = Math.max(...outages.map((p) => Math.max(p.warnings.lateMs.max, p.expiries.lateMs.max)));
    const lost = outages.reduce((a, p) => a + p.warnings.lost + p.expiries.lost, 0);
    const ok = typeof d!.met === 'boolean' ? (d!.met as boolean) : worst.requests.answerMs.max <= target && latestTimer <= target && lost === 0;
    const secs = (d!.options?.outage as number | undefined) ?? 10;
    const headline = `**T11** Redis outage of ${num(secs)} s under load: slowest answer during it ${ms(worst.requests.answerMs.max)} (${worst.kind})${base ? ` vs ${ms(base.requests.answerMs.max)} without an outage` : ''}; every timer due in it fired ≤ ${ms(latestTimer)} after Redis was back; ${lost} lost (target ≤ 2 s, none lost: ${met(ok)})`;
    const groups = ['p99 answer', 'slowest answer', 'latest warning', 'latest expiry'];
    const colors: Record<string, string> = { baseline: COLOR.other, pause: COLOR.vigil, kill: COLOR.fourth };
    const label: Record<string, string> = { baseline: 'no outage (baseline)', pause: 'Redis paused (SIGSTOP)', kill: 'Redis killed and restarted' };
    const chart: Chart = {
      file: 'T11.svg',
      svg: barChart({
        title: `T11 Redis outage: slowest answer ${ms(worst.requests.answerMs.max)}, latest timer ${ms(latestTimer)} after Redis returned; ${lost} lost`,
        subtitle: subtitle(d!, `${num((d!.options?.rate as number | undefined) ?? 0)} requests/s; answers during the window, timers after Redis was back`),
        yLabel: 'ms (log scale)', log: true, groups,
        series: phases.map((p, i) => ({ name: label[p.kind] ?? p.kind, color: colors[p.kind] ?? PALETTE[i % PALETTE.length], values: [p.requests.answerMs.p99, p.requests.answerMs.max, p.warnings.lateMs.max, p.expiries.lateMs.max] })),
        targets: [{ value: target, label: '≤ 2 s' }],
      }),
    };
    const body = [
      mdTable(['phase', 'requests in window', 'statuses', 'no answer', 'answer p99', 'answer max', 'warnings due / fired / lost / doubled', 'latest warning', 'latest expiry', 'first 2xx after return'], phases.map((p) => [
        label[p.kind] ?? p.kind, num(p.requests.issued), Object.entries(p.requests.statuses).map(([k, n]) => `${k}: ${n}`).join(', '), p.requests.noAnswer,
        ms(p.requests.answerMs.p99), ms(p.requests.answerMs.max), `${p.warnings.due} / ${p.warnings.fired} / ${p.warnings.lost} / ${p.warnings.doubled}`,
        ms(p.warnings.lateMs.max), ms(p.expiries.lateMs.max), ms(p.requests.firstSuccessAfterBackMs),
      ])),
      '',
      `Timer lateness counts from when Redis was back (SIGCONT, or the restarted redis-server's spawn), or from the deadline in the baseline. T11 in this run: ${met(ok)}. ${runLine(d!)}`,
      '',
      img('T11.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

// ---------------------------------------------------------------- T12 (webhooks.json)

const T12: TargetSpec = {
  id: 'T12', files: ['webhooks.json'], command: 'npm run bench:webhooks',
  build([d], img) {
    const lat = need(d!.latencyMs as Record<string, Summary> | undefined, 'latencyMs');
    const steady = need(lat.steady, 'steady latency');
    const base = d!.baseline as Summary | null | undefined;
    const target = (d!.targetP99Ms as number | undefined) ?? 1000;
    const lost = (d!.lost as number | undefined) ?? NaN;
    const ok = typeof d!.met === 'boolean' ? (d!.met as boolean) : steady.p99 <= target && lost === 0;
    const rate = (d!.options?.rate as number | undefined) ?? 1000;
    const headline = `**T12** webhook delivery at ${num(rate)} events/s: steady p99 receipt ${ms(steady.p99)}${base ? ` vs ${ms(base.p99)} for direct POSTs (${ratio(steady.p99, base.p99)} the floor)` : ''}; **${num(lost)} lost** across a SIGKILL of Vigil and a ${num((d!.options?.outage as number | undefined) ?? 30)} s receiver outage (target p99 ≤ 1 s, none lost: ${met(ok)})`;
    const keys = ['p50', 'p99', 'max'] as const;
    const phases: Array<[string, string, string]> = [['steady', 'Vigil, steady', COLOR.vigil], ['kill', 'Vigil, across its SIGKILL', '#60a5fa'], ['outage', 'Vigil, receiver down (backlog)', COLOR.fourth], ['after', 'Vigil, after the outage', '#93c5fd']];
    const chart: Chart = {
      file: 'T12.svg',
      svg: barChart({
        title: `T12 webhook receipt: steady p99 ${ms(steady.p99)}${base ? ` vs ${ms(base.p99)} direct POSTs` : ''}; ${num(lost)} lost`,
        subtitle: subtitle(d!, `${num(rate)} events/s to one receiver on loopback; receipt − event time`),
        yLabel: 'receipt latency (ms, log scale)', log: true, groups: [...keys], xLabel: 'percentile of the phase\u2019s events',
        series: [
          ...phases.filter(([k]) => lat[k]?.n).map(([k, name, color]) => ({ name, color, values: keys.map((p) => lat[k]![p]) })),
          ...(base ? [{ name: 'baseline: direct signed POSTs', color: COLOR.other, values: keys.map((p) => base[p]) }] : []),
        ],
        targets: [{ value: target, label: 'p99 ≤ 1 s', group: 'p99' }],
      }),
    };
    const rows = [
      ...phases.filter(([k]) => lat[k]).map(([k, name]) => [name, num(lat[k]!.n), ms(lat[k]!.p50), ms(lat[k]!.p99), ms(lat[k]!.max)]),
      ...(base ? [['baseline: direct signed POSTs', num(base.n), ms(base.p50), ms(base.p99), ms(base.max)]] : []),
    ];
    const body = [
      mdTable(['phase', 'events', 'p50', 'p99', 'max'], rows),
      '',
      `Appended ${num((d!.appended as number | undefined) ?? NaN)}, lost ${num(lost)}, duplicates ${num((d!.duplicates as number | undefined) ?? NaN)}, out of order ${num((d!.outOfOrder as number | undefined) ?? NaN)}; Vigil ready again ${ms(d!.restartMs as number | undefined)} after its SIGKILL; the outage's backlog was delivered ${ms(((d!.catchUpSeconds as number | undefined) ?? NaN) * 1000)} after the receiver came back. T12 in this run: ${met(ok)}. ${runLine(d!)}`,
      '',
      img('T12.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

// ---------------------------------------------------------------- T13 (cluster.json)

interface ClusterMode {
  t1: { liveSessions: number; missing: number; duplicates: number; lateMs: Summary };
  t3: { oneRealm: IngestRun; threeRealms: IngestRun };
  ceilingOneRealm: number;
  ceilingThreeRealmsAtOnce: number[];
}

const T13: TargetSpec = {
  id: 'T13', files: ['cluster.json'], command: 'npm run bench:cluster',
  build([d], img) {
    const S = need(d!.standalone as ClusterMode | undefined, 'standalone');
    const C = need(d!.cluster as ClusterMode | undefined, 'cluster');
    const cost = {
      t1p50: C.t1.lateMs.p50 / S.t1.lateMs.p50, t1p99: C.t1.lateMs.p99 / S.t1.lateMs.p99,
      t3OneRealm: S.t3.oneRealm.serverPerSec / C.t3.oneRealm.serverPerSec, t3ThreeRealms: S.t3.threeRealms.serverPerSec / C.t3.threeRealms.serverPerSec,
    };
    const ok = [cost.t1p50, cost.t1p99, cost.t3OneRealm].every((c) => c <= 1.5) && C.t1.missing === 0;
    const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');
    const headline = `**T13** Redis Cluster (3 masters) vs standalone in the same run: T1 p99 ${ms(C.t1.lateMs.p99)} vs ${ms(S.t1.lateMs.p99)} (**${x(cost.t1p99)}**), T3 ${num(Math.round(C.t3.oneRealm.serverPerSec))}/s vs ${num(Math.round(S.t3.oneRealm.serverPerSec))}/s (**${x(cost.t3OneRealm)}**) (target ≤ 1.5×: ${met(ok)})`;
    const groups = ['T1 lateness p50', 'T1 lateness p99', 'T3 activity, 1 realm', 'T3 activity, 3 realms'];
    const chart: Chart = {
      file: 'T13.svg',
      svg: barChart({
        title: `T13 Redis Cluster cost vs standalone: T1 p99 ${x(cost.t1p99)}, T3 ${x(cost.t3OneRealm)}`,
        subtitle: subtitle(d!, 'latency: cluster ÷ standalone; throughput: standalone ÷ cluster (1 = no cost)'),
        yLabel: 'cost relative to standalone (×)', groups,
        series: [
          { name: 'standalone Redis (baseline = 1)', color: COLOR.other, values: [1, 1, 1, 1] },
          { name: 'Redis Cluster, 3 masters', color: COLOR.vigil, values: [cost.t1p50, cost.t1p99, cost.t3OneRealm, cost.t3ThreeRealms].map((v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null)) },
        ],
        format: (v) => `${Number(v.toFixed(2))}×`,
        targets: [{ value: 1.5, label: '≤ 1.5×' }],
      }),
    };
    const rate = (v: number) => `${num(Math.round(v))}/s`;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const body = [
      mdTable(['measure', 'standalone', 'cluster', 'cluster cost', 'target'], [
        ['T1 lateness p50', ms(S.t1.lateMs.p50), ms(C.t1.lateMs.p50), x(cost.t1p50), '≤ 1.5×'],
        ['T1 lateness p99', ms(S.t1.lateMs.p99), ms(C.t1.lateMs.p99), x(cost.t1p99), '≤ 1.5×'],
        ['T1 lateness max', ms(S.t1.lateMs.max), ms(C.t1.lateMs.max), x(C.t1.lateMs.max / S.t1.lateMs.max), ''],
        ['T1 missing / duplicates', `${S.t1.missing} / ${S.t1.duplicates}`, `${C.t1.missing} / ${C.t1.duplicates}`, '', 'none'],
        ['T1 live sessions', num(S.t1.liveSessions), num(C.t1.liveSessions), '', ''],
        ['T3 WebSocket activity, 1 realm', rate(S.t3.oneRealm.serverPerSec), rate(C.t3.oneRealm.serverPerSec), x(cost.t3OneRealm), '≤ 1.5×'],
        ['T3 WebSocket activity, 3 realms', rate(S.t3.threeRealms.serverPerSec), rate(C.t3.threeRealms.serverPerSec), x(cost.t3ThreeRealms), ''],
        ['touch-session ceiling, 1 realm', rate(S.ceilingOneRealm), rate(C.ceilingOneRealm), '', ''],
        ['touch-session ceiling, 3 realms at once', rate(sum(S.ceilingThreeRealmsAtOnce)), rate(sum(C.ceilingThreeRealmsAtOnce)), '', ''],
      ]),
      '',
      `T13 in this run: ${met(ok)}. ${runLine(d!)}`,
      '',
      img('T13.svg'),
    ].join('\n');
    return { headline, body, charts: [chart] };
  },
};

export const TARGETS: TargetSpec[] = [T1, T2, T3, T4, T5, T5w, T6, T7, T8, T9, T10, T11, T12, T13];

// ---------------------------------------------------------------- markers

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The document with what is between `<!-- bench:<key> -->` and `<!-- /bench:<key> -->` replaced
 * by `content` (block: on lines of its own; inline: on the same line); `found` is false (and the
 * document unchanged) when it has no such pair of markers.
 */
export function replaceBetweenMarkers(doc: string, key: string, content: string, inline = false): { doc: string; found: boolean } {
  const open = `<!-- bench:${key} -->`;
  const close = `<!-- /bench:${key} -->`;
  const re = new RegExp(`${escapeRe(open)}[\\s\\S]*?${escapeRe(close)}`);
  if (!re.test(doc)) return { doc, found: false };
  const inner = inline ? content : `\n${content}\n`;
  return { doc: doc.replace(re, () => `${open}${inner}${close}`), found: true };
}

// ---------------------------------------------------------------- generate

export interface ReportOptions {
  resultsDir: string;
  perfDir: string;
  docFile: string;
  /** A second document (the README) whose headline markers get the same lines; its other markers and text are left alone. */
  readmeFile?: string;
  log?: (line: string) => void;
}

export interface ReportOutcome {
  /** Targets whose charts and sections were refreshed. */
  done: string[];
  /** Chart files written (absolute paths). */
  charts: string[];
  /** One sentence for each input skipped, marker missing, etc. */
  notes: string[];
}

export function generate(o: ReportOptions): ReportOutcome {
  const log = o.log ?? (() => {});
  const out: ReportOutcome = { done: [], charts: [], notes: [] };
  const note = (s: string) => {
    out.notes.push(s);
    log(`note: ${s}`);
  };
  const cache = new Map<string, Json | Error | null>();
  const load = (file: string): Json | Error | null => {
    if (!cache.has(file)) {
      const p = path.join(o.resultsDir, file);
      if (!existsSync(p)) cache.set(file, null);
      else {
        try {
          const v = JSON.parse(readFileSync(p, 'utf8')) as unknown;
          cache.set(file, v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : new Error('not a JSON object'));
        } catch (err) {
          cache.set(file, err as Error);
        }
      }
    }
    return cache.get(file)!;
  };
  // image links relative to the document
  const rel = path.relative(path.dirname(o.docFile), o.perfDir).split(path.sep).join('/') || '.';
  const img = (file: string) => `![${file.replace(/\.svg$/, '')}](${rel}/${file})`;
  const sections: Section[] = [];
  for (const t of TARGETS) {
    const data: Json[] = [];
    let skip: string | null = null;
    for (const f of t.files) {
      const v = load(f);
      if (v === null) skip = `${t.id}: skipped, ${f} is not in ${o.resultsDir} (\`${t.command}\` writes it)`;
      else if (v instanceof Error) skip = `${t.id}: skipped, ${f} could not be read (${v.message})`;
      else data.push(v);
      if (skip) break;
    }
    if (skip) {
      note(skip);
      continue;
    }
    try {
      sections.push({ id: t.id, ...t.build(data, img) });
    } catch (err) {
      note(`${t.id}: skipped, ${t.files.join(', ')} does not have what the report reads (${(err as Error).message})`);
    }
  }

  mkdirSync(o.perfDir, { recursive: true });
  for (const s of sections) {
    for (const c of s.charts) {
      const p = path.join(o.perfDir, c.file);
      writeFileSync(p, c.svg);
      out.charts.push(p);
    }
    out.done.push(s.id);
  }

  if (!existsSync(o.docFile)) {
    note(`${o.docFile} does not exist; only the charts were written`);
    return out;
  }
  const before = readFileSync(o.docFile, 'utf8');
  let doc = before;
  for (const s of sections) {
    const block = replaceBetweenMarkers(doc, s.id, s.body);
    if (!block.found) note(`${s.id}: ${path.basename(o.docFile)} has no <!-- bench:${s.id} --> … <!-- /bench:${s.id} --> markers; its table was not written`);
    const line = replaceBetweenMarkers(block.doc, `headline:${s.id}`, s.headline, true);
    if (!line.found) note(`${s.id}: ${path.basename(o.docFile)} has no <!-- bench:headline:${s.id} --> markers; its headline was not written`);
    doc = line.doc;
  }
  if (doc !== before) writeFileSync(o.docFile, doc);
  // the README quotes the headlines, between the same markers (those it has)
  if (o.readmeFile && existsSync(o.readmeFile)) {
    const was = readFileSync(o.readmeFile, 'utf8');
    let readme = was;
    for (const s of sections) readme = replaceBetweenMarkers(readme, `headline:${s.id}`, s.headline, true).doc;
    if (readme !== was) writeFileSync(o.readmeFile, readme);
  }
  return out;
}

// ---------------------------------------------------------------- command line

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]!) : fallback;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const o: ReportOptions = {
    resultsDir: arg('results', path.join(root, 'bench', 'results')),
    perfDir: arg('perf', path.join(root, 'docs', 'perf')),
    docFile: arg('doc', path.join(root, 'docs', 'PERFORMANCE.md')),
    readmeFile: arg('readme', path.join(root, 'README.md')),
    log: (l) => console.log(l),
  };
  const r = generate(o);
  console.log(`charts: ${r.charts.map((c) => path.relative(process.cwd(), c)).join(', ') || 'none'}`);
  console.log(`refreshed: ${r.done.join(', ') || 'nothing'}; skipped ${r.notes.length ? `(${r.notes.length} notes above)` : 'nothing'}`);
}
