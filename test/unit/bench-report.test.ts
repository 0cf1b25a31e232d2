import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { barChart, lineChart } from '../../bench/lib/svg-chart.js';
import { generate, TARGETS } from '../../bench/report.js';

/**
 * XML well-formedness without a DOM: one root <svg> with a viewBox, every tag closed in
 * order, attributes quoted, no bare `<` or `&` in text. Returns the problem, or null.
 */
function xmlProblem(svg: string): string | null {
  const src = svg.trim();
  if (!/^<svg\b[^>]*\bviewBox="[\d.\s-]+"[^>]*>/.test(src)) return 'does not start with <svg … viewBox="…">';
  if (!src.endsWith('</svg>')) return 'does not end with </svg>';
  const stack: string[] = [];
  let roots = 0;
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+);)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    if (m[0] === '<') return `a bare < at ${m.index}: ${src.slice(m.index, m.index + 40)}`;
    if (m[0].startsWith('&')) return `a bare & at ${m.index}`;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element at ${m.index}`;
    } else if (!selfClosing) {
      if (!stack.length) roots++;
      stack.push(name!);
    } else if (!stack.length) roots++;
  }
  if (stack.length) return `unclosed: ${stack.join(' > ')}`;
  return roots === 1 ? null : `${roots} root elements`;
}

const sum = (p50: number, p99: number, max: number, n = 1000) => ({ n, min: 0, p50, p90: (p50 + p99) / 2, p99, max, mean: p50 });
const machine = { cpus: 2, cpuModel: 'test', loadavgAtStart: [1.5, 1, 0.5], loadavgAtEnd: [2.5, 1.5, 1], node: 'v20.20.2' };
const head = (bench: string) => ({ bench, at: '2026-12-01T10:00:00.000Z', commit: 'abc1234', command: `npx tsx bench/${bench}.ts`, machine });

/** One result file per benchmark, shaped as bench/<name>.ts writes it (only small figures). */
const FIXTURES: Record<string, unknown> = {
  'timers.json': {
    ...head('timers'), options: { sessions: 1000, rate: 100, storm: 500 }, sessions: { liveAtT1: 1000 },
    rows: [
      { system: 'vigil', test: 'T1', kind: 'all', expected: 200, received: 200, missing: 0, lateMs: sum(2, 20, 40), over1500ms: 0, ratePerSecond: { median: 100 } },
      { system: 'baseline', test: 'T1', kind: 'all', expected: 200, received: 200, missing: 0, lateMs: sum(300, 3000, 3500), over1500ms: 50 },
      { system: 'vigil', test: 'T2', kind: 'all', expected: 1000, received: 1000, missing: 0, lateMs: sum(100, 900, 1200), over1500ms: 0 },
      { system: 'baseline', test: 'T2', kind: 'all', expected: 1000, received: 1000, missing: 0, lateMs: sum(2000, 6000, 7000), over1500ms: 900 },
    ],
  },
  'ingest.json': {
    at: '2026-12-01T10:05:00.000Z', options: { sockets: 100, connections: 8 }, cpus: 2,
    runs: [
      { test: 'T3 WS activity', seconds: 10, serverCounted: 500000, serverPerSec: 50000, clientCounted: 500000, clientPerSec: 50000, errors: 0, latencyMs: sum(5, 30, 60), cpu: { server: 0.9, redis: 0.6, loadgen: 0.4 } },
      { test: 'T4 REST activity', seconds: 10, serverCounted: 130000, serverPerSec: 13000, clientCounted: 130000, clientPerSec: 13000, errors: 0, latencyMs: sum(3, 10, 20), cpu: { server: 1, redis: 0.3, loadgen: 0.5 } },
    ],
    ceilings: [
      { what: 'touch-session (WS path)', P: 1, rps: 30000 },
      { what: 'resolve-token touch=1 (REST path)', P: 1, rps: 25000 },
      { what: 'touch-session (WS path)', P: 16, rps: 60000 },
      { what: 'resolve-token touch=1 (REST path)', P: 16, rps: 40000 },
    ],
  },
  'fanout.json': {
    at: '2026-12-01T10:10:00.000Z', options: { clients: 10, rate: 200, rates: [100, 200] }, cpus: 2,
    results: [100, 200].flatMap((rate) => [
      { system: 'Vigil hub, detail full', rate, clients: 10, ingestedPerSec: rate, complete: 10, resyncs: 0, latencyMs: sum(20, 200, 300), bytesPerActivity: 760, mbPerSecToClients: 1.5, finalState: { sessions: 5, checked: 2, exact: 2, sameAsChecked: 10, example: null }, cpu: { server: 0.2 } },
      { system: 'Vigil hub, detail changes', rate, clients: 10, ingestedPerSec: rate, complete: 10, resyncs: 0, latencyMs: sum(5, 60, 90), bytesPerActivity: 280, mbPerSecToClients: 0.5, finalState: { sessions: 5, checked: 2, exact: 2, sameAsChecked: 10, example: null }, cpu: { server: 0.1 } },
      { system: 'naive per-event ws broadcast', rate, clients: 10, ingestedPerSec: 60, complete: 10, resyncs: 0, latencyMs: sum(7, 30, 80), bytesPerActivity: 759, mbPerSecToClients: 0.4, finalState: null, cpu: { server: 0.3 } },
    ]),
  },
  'walls.json': {
    ...head('walls'), options: { walls: 100, rate: 200 },
    results: [
      { topic: 'stats', walls: 100, seconds: 10, events: 2000, framesPerWallPerSec: 1, bytesPerWallPerSec: 200, mbPerSecOut: 0.02, cpu: { server: 0.05, redis: 0.01, walls: 0.02 } },
      { topic: 'sessions', walls: 100, seconds: 10, events: 2000, framesPerWallPerSec: 30, bytesPerWallPerSec: 20000, mbPerSecOut: 2, cpu: { server: 0.6, redis: 0.02, walls: 0.3 } },
    ],
  },
  'memory.json': {
    at: '2026-12-01T10:15:00.000Z', options: { sessions: 1000 }, keycloakBytesPerSession: 5120, targetBytesPerSession: 1024,
    listpack512: {
      points: [0, 100, 500, 1000].map((s) => ({ sessions: s, heapUsed: 30e6 + s * 10, rss: 150e6, usedMemory: 1.5e6 + s * 1000, streamBytes: s * 300, keys: s + 6 })),
      perSession: { allIn: 1000, noStream: 700, streamTotal: 300000 },
    },
    redisDefaults: null,
    breakdowns: { 'listpack 512': { 'session hash (mean of 500)': 470, 'deadline set entry': 120, 'event stream (its session.started)': 300 } },
  },
  'dashboard.json': {
    benchmark: 'T8 dashboard', at: '2026-12-01T10:20:00.000Z', chromium: '131', cores: 2, secondsPerScenario: 8, eventsPerSecond: 200, batchMs: 50,
    scenarios: [
      { scenario: 'virtualised, 10,000 sessions', sessions: 10000, firstRenderMs: 300, frames: 400, p50: 8, p95: 14, p99: 20, max: 40, over16ms: 3, longTasks: 1, eventsApplied: 1600, rowsInDom: 40 },
      { scenario: 'baseline: virtualised, 100 sessions', sessions: 100, firstRenderMs: 50, frames: 480, p50: 7, p95: 9, p99: 12, max: 20, over16ms: 0, longTasks: 0, eventsApplied: 1600, rowsInDom: 40 },
      { scenario: 'baseline: not virtualised, 10,000 sessions', sessions: 10000, firstRenderMs: 3000, frames: 50, p50: 100, p95: 300, p99: 400, max: 900, over16ms: 90, longTasks: 40, eventsApplied: 1600, rowsInDom: 10000 },
    ],
  },
  'restart.json': {
    ...head('restart'), options: { sessions: 100 }, targetMs: 2000, met: true,
    vigil: { system: 'vigil', sessions: 100, spawnAt: 1000, readyAt: 1800, warnings: { expected: 100, fired: 100, lost: 0, doubled: 0, vsReadyMs: sum(-100, 300, 400), vsDeadlineMs: sum(2000, 2500, 2600), overTargetAfterReady: 0, drainMs: 500 }, expiries: { expected: 100, fired: 100, lost: 0, doubled: 0, vsReadyMs: sum(9000, 9500, 9600), vsDeadlineMs: sum(3, 20, 30), overTargetAfterReady: 0, drainMs: 800 } },
    baseline: { system: 'baseline', sessions: 100, spawnAt: 1000, readyAt: 1300, warnings: { expected: 100, fired: 100, lost: 0, doubled: 0, vsReadyMs: sum(900, 3000, 3500), vsDeadlineMs: sum(3000, 5000, 5500), overTargetAfterReady: 60, drainMs: 3000 }, expiries: { expected: 100, fired: 100, lost: 0, doubled: 0, vsReadyMs: sum(9000, 9500, 9600), vsDeadlineMs: sum(5, 30, 40), overTargetAfterReady: 0, drainMs: 900 } },
  },
  'oidc.json': {
    name: 'oidc', at: '2026-12-01T10:25:00.000Z', node: 'v20.20.2', cpus: 2, seconds: 10, concurrency: { refresh: 32, login: 4 },
    phases: [
      { name: 'healthz', perSecond: 9000, ok: 90000, errors: 0, p50: 2, p99: 8, max: 20 },
      { name: 'refresh', perSecond: 2500, ok: 25000, errors: 0, p50: 10, p99: 30, max: 50 },
      { name: 'login', perSecond: 36, ok: 360, errors: 0, p50: 100, p99: 200, max: 250 },
      { name: 'argon2id', perSecond: 40, ok: 200, errors: 0, p50: 95, p99: 150, max: 180 },
    ],
    keycloakSizing: { refreshPerSecond: 240, loginsPerSecond: 30 },
  },
  'outage.json': {
    ...head('outage'), options: { rate: 200, outage: 10 }, targetMs: 2000, met: true,
    phases: ['baseline', 'pause', 'kill'].map((kind, i) => ({
      kind, window: { start: '2026-12-01T10:30:00.000Z', seconds: 10 }, backAfterWindowStartMs: i ? 10000 : null,
      requests: { issued: 2000, answered: 2000, noAnswer: 0, statuses: i ? { 503: 1990, 200: 10 } : { 200: 2000 }, answerMs: sum(2, i ? 900 : 10, i ? 1100 : 30), overTarget: 0, firstSuccessAfterBackMs: i ? 150 : null },
      warnings: { due: 100, fired: 100, lost: 0, doubled: 0, lateMs: sum(5, i ? 800 : 20, i ? 900 : 30), overTarget: 0, wsLateMs: sum(6, 30, 40), wsReceived: 100, wsOverTarget: 0 },
      expiries: { due: 100, fired: 100, lost: 0, doubled: 0, lateMs: sum(3, 15, 25), overTarget: 0, wsLateMs: sum(4, 20, 30), wsReceived: 100, wsOverTarget: 0 },
      notes: [],
    })),
  },
  'webhooks.json': {
    ...head('webhooks'), options: { rate: 100, outage: 30 }, targetP99Ms: 1000, met: true,
    baseline: sum(1, 3, 10),
    latencyMs: { steady: sum(5, 40, 90), kill: sum(20, 4000, 5000), outage: sum(20000, 30000, 31000), after: sum(5, 50, 100), all: sum(6, 29000, 31000) },
    appended: 6000, lost: 0, duplicates: 3, outOfOrder: 0, badSignatures: 0, restartMs: 1500, outageSeconds: 30, backlog: 3000, catchUpSeconds: 1.2, drainSecondsAfterLoad: 0.5,
  },
  'cluster.json': {
    ...head('cluster'), options: { sessions: 1000, rate: 100 }, realms: ['default', 'realm-1', 'realm-4'],
    standalone: { mode: 'standalone', t1: { liveSessions: 1000, missing: 0, duplicates: 0, lateMs: sum(2, 10, 20) }, t3: { oneRealm: { serverPerSec: 30000 }, threeRealms: { serverPerSec: 30000 } }, ceilingOneRealm: 60000, ceilingThreeRealmsAtOnce: [20000, 20000, 20000] },
    cluster: { mode: 'cluster', t1: { liveSessions: 1000, missing: 0, duplicates: 0, lateMs: sum(3, 12, 30) }, t3: { oneRealm: { serverPerSec: 25000 }, threeRealms: { serverPerSec: 28000 } }, ceilingOneRealm: 55000, ceilingThreeRealmsAtOnce: [30000, 30000, 30000] },
  },
};

const IDS = TARGETS.map((t) => t.id);

/** A document with prose around every target's markers (block and headline), holding `old` text. */
function docWithMarkers(ids: string[]): string {
  return [
    '# Performance',
    '',
    'Prose at the top, hand-written: <b>keep</b> me & my spacing.  ',
    '',
    ...ids.map((id) => `- <!-- bench:headline:${id} -->old ${id} headline<!-- /bench:headline:${id} --> trailing prose`),
    '',
    ...ids.flatMap((id) => [`## ${id}`, '', `Prose about ${id}.`, '', `<!-- bench:${id} -->`, `old ${id} table`, `<!-- /bench:${id} -->`, '', `After ${id}.`, '']),
  ].join('\n');
}

/** The document with everything between markers removed: what must never change. */
const outsideMarkers = (doc: string) => doc.replace(/(<!-- bench:([\w:]+) -->)[\s\S]*?(<!-- \/bench:\2 -->)/g, '$1$3');

describe('bench:report', () => {
  let dir: string;
  let results: string;
  let perf: string;
  let docFile: string;
  const writeResults = (files: Record<string, unknown>) => {
    for (const [name, data] of Object.entries(files)) writeFileSync(path.join(results, name), typeof data === 'string' ? data : JSON.stringify(data, null, 2));
  };
  const run = () => generate({ resultsDir: results, perfDir: perf, docFile });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-report-'));
    results = path.join(dir, 'bench', 'results');
    perf = path.join(dir, 'docs', 'perf');
    docFile = path.join(dir, 'docs', 'PERFORMANCE.md');
    mkdirSync(results, { recursive: true });
    mkdirSync(path.dirname(docFile), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('draws a well-formed SVG chart with a dashed target for every target, from the files the benchmarks write', () => {
    writeResults(FIXTURES);
    writeFileSync(docFile, docWithMarkers(IDS));
    const out = run();
    expect(out.notes).toEqual([]);
    expect(out.done).toEqual(IDS);
    for (const id of IDS) {
      const file = path.join(perf, `${id}.svg`);
      expect(existsSync(file), `${id}.svg`).toBe(true);
      const svg = readFileSync(file, 'utf8');
      expect(xmlProblem(svg), `${id}.svg`).toBeNull();
      expect(svg, `${id}.svg has its target as a dashed line`).toContain('stroke-dasharray');
      expect(svg, `${id}.svg is titled with its target`).toMatch(new RegExp(`<title>${id} `));
    }
    for (const extra of ['T5-bytes.svg', 'T5w-messages.svg']) expect(xmlProblem(readFileSync(path.join(perf, extra), 'utf8')), extra).toBeNull();
  });

  it('puts the run\'s figures, its date and load, and the chart between each target\'s markers', () => {
    writeResults(FIXTURES);
    writeFileSync(docFile, docWithMarkers(IDS));
    run();
    const doc = readFileSync(docFile, 'utf8');
    const section = (id: string) => new RegExp(`<!-- bench:${id} -->([\\s\\S]*?)<!-- /bench:${id} -->`).exec(doc)![1]!;
    const t1 = section('T1');
    expect(t1).toContain('| p99 lateness | 20 ms | 3,000 ms | ≤ 100 ms | 150× |');
    expect(t1).toContain('2026-12-01 10:00 UTC');
    expect(t1).toContain('load average 1.50 at start, 2.50 at end');
    expect(t1).toContain('![T1](perf/T1.svg)');
    expect(section('T5')).toContain('![T5-bytes](perf/T5-bytes.svg)');
    const headline = /<!-- bench:headline:T1 -->(.*?)<!-- \/bench:headline:T1 -->/.exec(doc)![1]!;
    expect(headline).toContain('150× lower');
    expect(headline).not.toContain('\n');
    for (const id of IDS) expect(section(id)).not.toContain(`old ${id}`);
  });

  it('never touches the prose outside the markers, and a second run changes nothing', () => {
    writeResults(FIXTURES);
    const before = docWithMarkers(IDS);
    writeFileSync(docFile, before);
    run();
    const once = readFileSync(docFile, 'utf8');
    expect(once).not.toEqual(before);
    expect(outsideMarkers(once)).toEqual(outsideMarkers(before));
    run();
    expect(readFileSync(docFile, 'utf8')).toEqual(once);
  });

  it('writes the same headline lines into the README\'s markers, and nothing else there', () => {
    writeResults(FIXTURES);
    writeFileSync(docFile, docWithMarkers(IDS));
    const readme = path.join(dir, 'README.md');
    const before = '# Vigil\n\n- <!-- bench:headline:T1 -->old<!-- /bench:headline:T1 -->\n\nprose <!-- bench:T1 -->kept<!-- /bench:T1 -->\n';
    writeFileSync(readme, before);
    generate({ resultsDir: results, perfDir: perf, docFile, readmeFile: readme });
    const after = readFileSync(readme, 'utf8');
    const headline = /<!-- bench:headline:T1 -->(.*?)<!-- \/bench:headline:T1 -->/.exec(readFileSync(docFile, 'utf8'))![1]!;
    expect(after).toContain(`<!-- bench:headline:T1 -->${headline}<!-- /bench:headline:T1 -->`);
    expect(headline).toMatch(/^\*\*T1\*\*/);
    expect(after).toContain('prose <!-- bench:T1 -->kept<!-- /bench:T1 -->');
  });

  it('skips a missing result file with a note, leaving its section and chart as they were', () => {
    writeResults({ 'timers.json': FIXTURES['timers.json'] });
    const before = docWithMarkers(IDS);
    writeFileSync(docFile, before);
    const out = run();
    expect(out.done).toEqual(['T1', 'T2']);
    expect(out.notes.find((n) => n.startsWith('T6:'))).toMatch(/memory\.json.*npm run bench:memory/);
    expect(out.notes).toHaveLength(IDS.length - 2);
    expect(existsSync(path.join(perf, 'T6.svg'))).toBe(false);
    const doc = readFileSync(docFile, 'utf8');
    expect(doc).toContain('<!-- bench:T6 -->\nold T6 table\n<!-- /bench:T6 -->');
    expect(doc).toContain('<!-- bench:headline:T6 -->old T6 headline<!-- /bench:headline:T6 -->');
    expect(doc).not.toContain('old T1 table');
  });

  it('skips a result file it cannot read or that lacks what it reads, and goes on with the others', () => {
    writeResults({ 'timers.json': FIXTURES['timers.json'], 'memory.json': '{"at": "2026-', 'fanout.json': { at: '2026-12-01T10:00:00.000Z' } });
    writeFileSync(docFile, docWithMarkers(IDS));
    const out = run();
    expect(out.done).toEqual(['T1', 'T2']);
    expect(out.notes.find((n) => n.startsWith('T6:'))).toMatch(/memory\.json could not be read/);
    expect(out.notes.find((n) => n.startsWith('T5:'))).toMatch(/fanout\.json does not have what the report reads \(no results\)/);
  });

  it('says so when the document lacks a target\'s markers, and still writes the chart', () => {
    writeResults({ 'timers.json': FIXTURES['timers.json'] });
    writeFileSync(docFile, docWithMarkers(['T1']));
    const out = run();
    expect(out.notes.some((n) => n.startsWith('T2:') && n.includes('<!-- bench:T2 -->'))).toBe(true);
    expect(existsSync(path.join(perf, 'T2.svg'))).toBe(true);
  });

  it('keeps a chart well-formed when its labels hold markup characters', () => {
    const nasty = 'a <b> & "c" \'d\'';
    expect(xmlProblem(barChart({ title: nasty, subtitle: nasty, yLabel: nasty, xLabel: nasty, groups: [nasty, 'x'], series: [{ name: nasty, values: [1, 0] }], log: true, targets: [{ value: 2, label: nasty, group: nasty }] }))).toBeNull();
    expect(xmlProblem(barChart({ title: nasty, yLabel: 'y', groups: ['g1', 'g2'], stacked: true, series: [{ name: nasty, values: [3, null] }, { name: 'b', values: [2, 5] }] }))).toBeNull();
    expect(xmlProblem(lineChart({ title: nasty, yLabel: nasty, xLabel: nasty, logX: true, logY: true, labels: true, series: [{ name: nasty, step: true, points: [{ x: 1, y: 0 }, { x: 10, y: 100 }] }], targets: [{ value: 50, label: nasty }] }))).toBeNull();
  });

  it('finds a malformed chart malformed (the check itself can fail)', () => {
    expect(xmlProblem('<svg viewBox="0 0 1 1"><g></svg>')).not.toBeNull();
    expect(xmlProblem('<svg viewBox="0 0 1 1"><text>a < b</text></svg>')).not.toBeNull();
    expect(xmlProblem('<svg viewBox="0 0 1 1"><text>a & b</text></svg>')).not.toBeNull();
    expect(xmlProblem('<svg><g/></svg>')).not.toBeNull();
  });
});
