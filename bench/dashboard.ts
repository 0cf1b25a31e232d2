/**
 * T8 (BENCHMARKS.md): the dashboard in Chromium — a 10,000-session snapshot rendered, then
 * 200 events/s. Drives the real `<vigil-access>` element on a harness page
 * (bench/dashboard-harness.*) through the same store calls its socket handler makes, so it
 * measures rendering only. Baselines in the same run: the same element with 100 sessions
 * (the floor), and with 10,000 sessions without virtualisation (what virtualisation saves).
 *
 * Prints a table and writes bench/results/dashboard.json. Bounded (~1 min), 127.0.0.1 only.
 *   npm run bench:dashboard        (= tsx bench/dashboard.ts)
 * Env: BENCH_SECONDS (event phase per scenario, default 8), CHROMIUM_PATH.
 */
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

interface Scenario {
  name: string;
  sessions: number;
  plain: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'virtualised, 10,000 sessions', sessions: 10_000, plain: false },
  { name: 'baseline: virtualised, 100 sessions', sessions: 100, plain: false },
  { name: 'baseline: not virtualised, 10,000 sessions', sessions: 10_000, plain: true },
];

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

async function main(): Promise<void> {
  const out = mkdtempSync(path.join(tmpdir(), 'vigil-bench-'));
  try {
    await build({
      configFile: false,
      root: here,
      logLevel: 'warn',
      build: { outDir: out, emptyOutDir: true, target: 'es2022', rollupOptions: { input: path.join(here, 'dashboard-harness.html') } },
    });
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      const file = path.join(out, url === '/' ? 'dashboard-harness.html' : url);
      if (!file.startsWith(out) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const rows: Array<Record<string, unknown>> = [];
    try {
      for (const sc of SCENARIOS) {
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForFunction(() => 'vigilBench' in window);
        const r = await page.evaluate(
          (o) => window.vigilBench.run(o),
          { sessions: sc.sessions, plain: sc.plain, eventsPerSecond: 200, batchMs: 50, durationMs: SECONDS * 1000 },
        );
        await page.close();
        const f = [...r.frames].sort((a, b) => a - b);
        rows.push({
          scenario: sc.name,
          sessions: sc.sessions,
          firstRenderMs: Math.round(r.firstRenderMs),
          frames: f.length,
          p50: +pct(f, 50).toFixed(1),
          p95: +pct(f, 95).toFixed(1),
          p99: +pct(f, 99).toFixed(1),
          max: +f[f.length - 1].toFixed(1),
          over16ms: +((f.filter((x) => x > 16.7 + 1).length / Math.max(1, f.length)) * 100).toFixed(1),
          longTasks: r.longTasks,
          eventsApplied: r.eventsApplied,
          rowsInDom: r.rowsInDom,
        });
        console.error(`done: ${sc.name}`);
      }
      // a picture of the view under load (not measured): test-output/screenshots/
      const shotPage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await shotPage.goto(`http://127.0.0.1:${port}/`);
      await shotPage.waitForFunction(() => 'vigilBench' in window);
      const pending = shotPage.evaluate((o) => window.vigilBench.run(o), { sessions: 10_000, plain: false, eventsPerSecond: 200, batchMs: 50, durationMs: 4000 });
      await shotPage.waitForTimeout(3000);
      const shots = path.join(here, '..', 'test-output', 'screenshots');
      mkdirSync(shots, { recursive: true });
      await shotPage.screenshot({ path: path.join(shots, '23-access-10k-under-load.png') });
      await pending;
      await shotPage.close();
    } finally {
      await browser.close();
      server.close();
    }

    const main = rows[0];
    const floor = rows[1];
    const plain = rows[2];
    const summary = {
      target: { firstRenderMs: 500, p95FrameMs: 16 },
      met: { firstRender: (main.firstRenderMs as number) <= 500, p95Frame: (main.p95 as number) <= 16.7 + 0.5 },
      ratios: {
        firstRenderVsNotVirtualised: +((main.firstRenderMs as number) / (plain.firstRenderMs as number)).toFixed(3),
        p95VsNotVirtualised: +((main.p95 as number) / (plain.p95 as number)).toFixed(3),
        p95Vs100Sessions: +((main.p95 as number) / (floor.p95 as number)).toFixed(3),
      },
    };
    console.log(`\nT8 dashboard: 10,000-session snapshot, then 200 events/s (${SECONDS} s per scenario, Chromium ${browser.version()}, ${cpus().length} cores)\n`);
    console.table(rows.map((r) => ({
      scenario: r.scenario, 'first render ms': r.firstRenderMs, 'p50 ms': r.p50, 'p95 ms': r.p95, 'p99 ms': r.p99, 'max ms': r.max,
      '% frames >16.7ms': r.over16ms, 'long tasks': r.longTasks, 'rows in DOM': r.rowsInDom,
    })));
    console.log(`target: first render ≤ 500 ms → ${summary.met.firstRender ? 'met' : 'NOT met'}; p95 frame ≤ 16 ms (one 60 Hz frame) → ${summary.met.p95Frame ? 'met' : 'NOT met'}`);
    console.log(`ratios: first render vs not virtualised ${summary.ratios.firstRenderVsNotVirtualised}; p95 vs not virtualised ${summary.ratios.p95VsNotVirtualised}; p95 vs 100 sessions ${summary.ratios.p95Vs100Sessions}`);
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(
      path.join(here, 'results', 'dashboard.json'),
      JSON.stringify({ benchmark: 'T8 dashboard', at: new Date().toISOString(), chromium: browser.version(), cores: cpus().length, secondsPerScenario: SECONDS, eventsPerSecond: 200, batchMs: 50, method: 'harness page driving <vigil-access> store (no server)', scenarios: rows, ...summary }, null, 2),
    );
    console.log('wrote bench/results/dashboard.json');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
