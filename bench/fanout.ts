/**
 * Fan-out benchmark T5 (design/BENCHMARKS.md): `--clients` subscribers of the `sessions` topic
 * on /ws, `--rate` events/s ingested; does every client get every event, and how late?
 * Baseline in the same run: a naive per-event broadcast (a plain `ws` server that
 * JSON.stringify's each event and sends it to each client separately) at the same rate, to
 * the same number of clients, counted the same way.
 *
 *   npx tsx bench/fanout.ts [--clients 1000] [--rate 2000] [--seconds 20] [--baseline-seconds 10]
 *                           [--sample 25] [--drain 15] [--no-baseline] [--max-minutes 6]
 *                           [--detail full|changes|both]   (both, the default: a fresh stack for each)
 *   (every flag also reads an env var: BENCH_CLIENTS, BENCH_RATE, ...)
 *
 * What runs where: its own redis-server (random port, no persistence, hash-max-listpack-value
 * 512); the real Vigil server in a child process (bench/lib/server-main.ts, timer worker on,
 * default VIGIL_CLIENT_BUFFER_BYTES); the naive baseline server in another child process
 * (this file with --role naive); the load generator in a third child (--role loader); this
 * process holds every subscriber.
 *
 * Events: `session.activity`, coalesced by the server to one per session per second, so the
 *   load touches rate × 1.25 sessions round-robin (each one every 1.25 s, never coalesced)
 *   through the server's own touch-session Lua command (the writer path WS/REST activity
 *   takes), rate/100 every 10 ms, catching up when a tick is late. Ground truth: the
 *   `session.activity` entries the realm's stream gained during the run (XRANGE).
 * Clients subscribe before the sessions exist (small snapshots). Every client counts the
 *   `session.activity` events it receives (a substring count on the frame, no JSON parse,
 *   so 1,000 clients in one process stay cheap); every `--sample`-th client parses every
 *   frame and records delivery latency = receipt (Date.now() on arrival) − event `at`, and
 *   checks for duplicate ids. A `snapshot` with `resync: true` means the server found that
 *   socket congested and replaced the events it missed with a fresh snapshot: counted.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { defineCommands, type ScriptedRedis } from '../server/redis/scripts.js';
import { Keys } from '../server/redis/keys.js';
import { adminLogin, CpuWindow, flag, log, opt, redisPid, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { startChild, type BenchChild } from './lib/child.js';
import { fmtMs, summarize, table, type Summary } from './lib/stats.js';

const o = {
  clients: opt('clients', 1000),
  rate: opt('rate', 2000),
  seconds: opt('seconds', 20),
  baselineSeconds: opt('baseline-seconds', 10),
  sample: opt('sample', 25),
  drain: opt('drain', 15),
  maxMinutes: opt('max-minutes', 6),
  baseline: !flag('no-baseline'),
  /** The subscriptions' `detail`: `changes` events carry only what changed (~315 B an activity instead of ~640). */
  details: ((process.argv.includes('--detail') ? process.argv[process.argv.indexOf('--detail') + 1] : process.env.BENCH_DETAIL) ?? 'both') === 'both'
    ? (['full', 'changes'] as const)
    : ([(process.argv.includes('--detail') ? process.argv[process.argv.indexOf('--detail') + 1] : process.env.BENCH_DETAIL) as 'full' | 'changes'] as const),
};
const NEEDLE = Buffer.from('"name":"session.activity"');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countNeedle(buf: Buffer): number {
  let n = 0;
  let i = buf.indexOf(NEEDLE);
  while (i >= 0) {
    n++;
    i = buf.indexOf(NEEDLE, i + NEEDLE.length);
  }
  return n;
}

// ---------------------------------------------------------------- the naive baseline server (child)

async function naiveServer(): Promise<void> {
  const template = JSON.parse(process.env.NAIVE_TEMPLATE!) as Record<string, unknown>;
  const rate = Number(process.env.NAIVE_RATE);
  const seconds = Number(process.env.NAIVE_SECONDS);
  const outFile = process.env.NAIVE_OUT!;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const clients = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => ws.terminate());
  });
  process.stdout.write(`NAIVE_READY ${JSON.stringify({ port: (wss.address() as { port: number }).port })}\n`);
  // wait for the parent's go: a file appears
  const goFile = `${outFile}.go`;
  while (!existsSync(goFile)) await sleep(20);
  let generated = 0;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Date.now();
      if (now >= end) return resolve();
      const due = Math.min(Math.floor(((now - t0) / 1000) * rate) - generated, rate / 10);
      for (let k = 0; k < due; k++) {
        generated++;
        const event = { ...template, id: `${now}-${generated}`, at: new Date().toISOString() };
        for (const c of clients) if (c.readyState === WebSocket.OPEN) c.send(JSON.stringify(event)); // the naive part: per event, per client
      }
      setTimeout(tick, 10);
    };
    tick();
  });
  writeFileSync(outFile, JSON.stringify({ generated, seconds: (Date.now() - t0) / 1000 }));
  process.stdout.write(`NAIVE_DONE ${generated}\n`);
  await new Promise((r) => process.once('SIGTERM', r));
  for (const c of clients) c.terminate();
  wss.close();
  process.exit(0);
}

// ---------------------------------------------------------------- the load generator (child)

async function loaderMain(): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = defineCommands(new Redis(process.env.LOADER_REDIS!));
  const keys = new Keys(process.env.LOADER_PREFIX!);
  const sids = JSON.parse(readFileSync(process.env.LOADER_SIDS!, 'utf8')) as string[];
  const rate = Number(process.env.LOADER_RATE);
  const seconds = Number(process.env.LOADER_SECONDS);
  const t0 = Date.now();
  let sent = 0;
  let rr = 0;
  const lags: number[] = [];
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.min(Math.floor(((Date.now() - t0) / 1000) * rate) - sent, rate / 5);
    if (due > 0) {
      const p = r.pipeline() as unknown as ScriptedRedis & { exec(): Promise<unknown> };
      for (let k = 0; k < due; k++) {
        const sid = sids[rr++ % sids.length]!;
        p.touchSession(...keys.script.touchSession(REALM, sid), sid, 'bench');
      }
      sent += due;
      await p.exec();
    }
    const t = Date.now();
    await sleep(10);
    lags.push(Date.now() - t - 10);
  }
  r.disconnect();
  process.stdout.write(`LOADER_DONE ${JSON.stringify({ sent, seconds: (Date.now() - t0) / 1000, maxTickLagMs: Math.max(...lags) })}\n`);
  await new Promise((res) => process.once('SIGTERM', res));
  process.exit(0);
}

// ---------------------------------------------------------------- subscribers

interface Sub {
  ws: WebSocket;
  activity: number;
  snapshots: number;
  resyncs: number;
  bytes: number;
  frames: number;
  dupes: number;
  ids: Set<string> | null;
}

class Fleet {
  readonly subs: Sub[] = [];
  latencies: number[] = [];
  recording = false;
  /** The first session.activity event a sampled client parsed (the baseline sends copies of it). */
  template: Record<string, unknown> | null = null;
  constructor(private readonly sample: number, private readonly detail: 'full' | 'changes' = 'full') {}

  async connect(url: string, headers: Record<string, string>, subscribe: boolean, n: number): Promise<void> {
    for (let i = 0; i < n; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => this.one(url, headers, subscribe, i + j)));
    }
  }

  private one(url: string, headers: Record<string, string>, subscribe: boolean, i: number): Promise<void> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const sub: Sub = { ws, activity: 0, snapshots: 0, resyncs: 0, bytes: 0, frames: 0, dupes: 0, ids: i % this.sample === 0 ? new Set() : null };
    this.subs.push(sub);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
      ws.once('open', () => {
        if (!subscribe) resolve();
        else ws.send(JSON.stringify({ type: 'subscribe', topic: 'sessions', detail: this.detail }));
      });
      ws.on('message', (data: Buffer) => {
        const at = Date.now();
        sub.bytes += data.length;
        if (data[2] === 0x74 && data.subarray(0, 19).toString() === '{"type":"snapshot",') {
          sub.snapshots++;
          if (sub.snapshots === 1) resolve();
          if (data.includes('"resync":true')) sub.resyncs++;
          return;
        }
        sub.frames++;
        sub.activity += countNeedle(data);
        if (sub.ids && this.recording) {
          const msg = JSON.parse(data.toString()) as { type?: string; events?: Array<{ id: string; name: string; at: string }>; id?: string; name?: string; at?: string };
          const events = msg.type === 'events' ? msg.events ?? [] : msg.name ? [msg as { id: string; name: string; at: string }] : [];
          for (const e of events) {
            if (e.name !== 'session.activity') continue;
            this.template ??= e;
            if (sub.ids.has(e.id)) sub.dupes++;
            sub.ids.add(e.id);
            this.latencies.push(at - Date.parse(e.at));
          }
        }
      });
    });
  }

  counts(): number[] {
    return this.subs.map((s) => s.activity);
  }
  close(): void {
    for (const s of this.subs) s.ws.terminate();
  }
}

interface Result {
  system: string;
  clients: number;
  seconds: number;
  ingested: number;
  ingestedPerSec: number;
  perClient: { min: number; max: number; mean: number };
  complete: number;
  resyncs: number;
  dupes: number;
  latencyMs: Summary | null;
  mbPerSecToClients: number;
  /** Bytes on the wire per session.activity delivered to one client (frames' share included). */
  bytesPerActivity: number;
  framesPerClientPerSec: number;
  eventsPerFrame: number;
  server: Record<string, number> | null;
  cpu: Record<string, number>;
}

function summarizeFleet(system: string, fleet: Fleet, expected: number, seconds: number, bytes: number, frames: number, cpu: Record<string, number>, server: Record<string, number> | null = null): Result {
  const c = fleet.counts();
  const events = c.reduce((a, b) => a + b, 0);
  return {
    system, clients: c.length, seconds, ingested: expected, ingestedPerSec: expected / seconds,
    perClient: { min: Math.min(...c), max: Math.max(...c), mean: c.reduce((a, b) => a + b, 0) / c.length },
    complete: c.filter((x) => x >= expected).length,
    resyncs: fleet.subs.reduce((a, s) => a + s.resyncs, 0),
    dupes: fleet.subs.reduce((a, s) => a + s.dupes, 0),
    latencyMs: fleet.latencies.length ? summarize(fleet.latencies) : null,
    mbPerSecToClients: bytes / seconds / 1e6,
    bytesPerActivity: events ? bytes / events : 0,
    framesPerClientPerSec: frames / c.length / seconds,
    eventsPerFrame: frames ? events / frames : 0,
    server,
    cpu,
  };
}

/** Sums of the server's real-time counters (Prometheus text at /metrics). */
async function scrapeCounters(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const text = await (await fetch(`${url}/metrics`)).text();
  for (const line of text.split('\n')) {
    const m = /^(vigil_events_delivered_total|vigil_slow_client_resyncs_total)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Waits until the clients' counts stop moving (or `max` s). */
async function drain(fleet: Fleet, max: number): Promise<void> {
  let last = -1;
  const end = Date.now() + max * 1000;
  while (Date.now() < end) {
    await sleep(500);
    const total = fleet.counts().reduce((a, b) => a + b, 0);
    if (total === last) return;
    last = total;
  }
}

// ---------------------------------------------------------------- Vigil

async function runVigil(stack: Stack, detail: 'full' | 'changes'): Promise<{ result: Result; template: Record<string, unknown> | null }> {
  const token = await adminLogin(stack.url, stack.adminPassword);
  const fleet = new Fleet(o.sample, detail);
  const t = Date.now();
  await fleet.connect(`${stack.wsUrl}/ws`, { authorization: `Bearer ${token}` }, true, o.clients);
  log(`Vigil: ${o.clients} clients subscribed to sessions in ${Date.now() - t} ms`);
  const nSessions = Math.ceil(o.rate * 1.25);
  const sessions = await stack.createSessions(nSessions, 3600);
  log(`Vigil: ${nSessions} sessions created`);
  await sleep(2000); // their session.started events fan out first
  const rds = stack.rds;
  const streamKey = stack.keys.events(REALM);
  const lastId = async () => ((await rds.xrevrange(streamKey, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0');
  const fromId = await lastId();
  const bytes0 = fleet.subs.reduce((a, s) => a + s.bytes, 0);
  const frames0 = fleet.subs.reduce((a, s) => a + s.frames, 0);
  const m0 = await scrapeCounters(stack.url);
  const cpu = new CpuWindow({ server: stack.server!.pid, redis: await redisPid(rds), clients: process.pid });

  fleet.recording = true;
  cpu.start();
  // the load runs in its own process, so that receiving on 1,000 sockets here cannot starve it
  const sidFile = path.join(RESULTS, `fanout-sids-${process.pid}.json`);
  const outFile = path.join(RESULTS, `fanout-loader-${process.pid}.json`);
  writeFileSync(sidFile, JSON.stringify(sessions.map((x) => x.sid)));
  let loader: BenchChild | null = null;
  let sent = 0;
  let loadSeconds = o.seconds;
  try {
    loader = await startChild({
      entry: fileURLToPath(import.meta.url), args: ['--role', 'loader'], readyMarker: 'LOADER_DONE', logFile: path.join(RESULTS, 'fanout-loader.log'),
      timeoutMs: (o.seconds + 60) * 1000,
      env: { LOADER_REDIS: stack.redis.url, LOADER_PREFIX: stack.prefix, LOADER_SIDS: sidFile, LOADER_RATE: String(o.rate), LOADER_SECONDS: String(o.seconds), LOADER_OUT: outFile },
    });
    sent = Number(loader.ready.sent);
    loadSeconds = Number(loader.ready.seconds);
    if (Number(loader.ready.maxTickLagMs) > 200) log(`loader: a 10 ms tick ran ${loader.ready.maxTickLagMs} ms late (machine busy)`);
  } finally {
    await loader?.stop();
    for (const f of [sidFile, outFile]) if (existsSync(f)) unlinkSync(f);
  }
  await drain(fleet, o.drain);
  const cpuUse = cpu.stop();
  fleet.recording = false;

  // ground truth: session.activity entries the stream gained
  let expected = 0;
  let template: Record<string, unknown> | null;
  let cursor = `(${fromId}`;
  for (;;) {
    const page = await rds.xrange(streamKey, cursor, '+', 'COUNT', 5000);
    if (!page.length) break;
    for (const [, fields] of page) {
      // the stream's field layout (common.lua emit): n = event name
      for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'n' && fields[i + 1] === 'session.activity') expected++;
    }
    cursor = `(${page[page.length - 1]![0]}`;
  }
  // a real event, as clients saw it, for the baseline's template
  template = fleet.template;
  const bytes = fleet.subs.reduce((a, s) => a + s.bytes, 0) - bytes0;
  const frames = fleet.subs.reduce((a, s) => a + s.frames, 0) - frames0;
  const m1 = await scrapeCounters(stack.url);
  const server = Object.fromEntries(Object.keys(m1).map((k) => [k, m1[k]! - (m0[k] ?? 0)]));
  log(`Vigil server counters over the run: ${JSON.stringify(server)}`);
  log(`Vigil: touched ${sent} times in ${loadSeconds.toFixed(1)} s; stream gained ${expected} session.activity events`);
  fleet.close();
  return { result: summarizeFleet(`Vigil hub, detail ${detail}`, fleet, expected, loadSeconds, bytes, frames, cpuUse, server), template };
}

// ---------------------------------------------------------------- baseline

async function runNaive(template: Record<string, unknown>): Promise<Result> {
  const outFile = path.join(RESULTS, `fanout-naive-${process.pid}.json`);
  for (const f of [outFile, `${outFile}.go`]) if (existsSync(f)) unlinkSync(f);
  let child: BenchChild | null = null;
  try {
    child = await startChild({
      entry: fileURLToPath(import.meta.url), args: ['--role', 'naive'], readyMarker: 'NAIVE_READY', logFile: path.join(RESULTS, 'fanout-naive.log'),
      env: { NAIVE_TEMPLATE: JSON.stringify(template), NAIVE_RATE: String(o.rate), NAIVE_SECONDS: String(o.baselineSeconds), NAIVE_OUT: outFile },
    });
    const fleet = new Fleet(o.sample);
    await fleet.connect(`ws://127.0.0.1:${Number(child.ready.port)}/`, {}, false, o.clients);
    log(`naive: ${o.clients} clients connected; broadcasting for ${o.baselineSeconds} s`);
    const cpu = new CpuWindow({ server: child.pid, clients: process.pid });
    fleet.recording = true;
    cpu.start();
    writeFileSync(`${outFile}.go`, '1');
    const deadline = Date.now() + (o.baselineSeconds + 30) * 1000;
    while (!existsSync(outFile) && Date.now() < deadline) await sleep(100);
    await drain(fleet, o.drain);
    const cpuUse = cpu.stop();
    fleet.recording = false;
    const { generated, seconds } = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as { generated: number; seconds: number }) : { generated: NaN, seconds: o.baselineSeconds };
    const bytes = fleet.subs.reduce((a, s) => a + s.bytes, 0);
    const frames = fleet.subs.reduce((a, s) => a + s.frames, 0);
    fleet.close();
    return summarizeFleet('naive per-event ws broadcast', fleet, generated, seconds, bytes, frames, cpuUse);
  } finally {
    await child?.stop();
    for (const f of [outFile, `${outFile}.go`]) if (existsSync(f)) unlinkSync(f);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  let stack: Stack | null = null;
  const watchdog = setTimeout(() => {
    log(`fanout bench: over --max-minutes ${o.maxMinutes}; stopping`);
    void stack?.stop().finally(() => process.exit(2));
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  const results: Result[] = [];
  try {
    let template: Record<string, unknown> | null = null;
    for (const detail of o.details) {
      stack = await startStack({ name: 'fanout' });
      const run = await runVigil(stack, detail);
      results.push(run.result);
      if (detail === 'full') template = run.template;
      await stack.stop();
      stack = null;
    }
    if (o.baseline && template) results.push(await runNaive(template));
  } finally {
    await stack?.stop();
    clearTimeout(watchdog);
  }
  console.log(`\nT5 fan-out — ${os.cpus().length} cores; ${o.clients} subscribers, target rate ${o.rate} events/s; Vigil ${o.seconds} s, baseline ${o.baselineSeconds} s; latency from every ${o.sample}th client`);
  console.log(table(
    ['system', 'ingested /s', 'events', 'per client min', 'max', 'clients complete', 'resyncs', 'dupes', 'p50 ms', 'p99 ms', 'max ms', 'MB/s out', 'B/activity/client', 'frames/client/s', 'events/frame', 'CPU srv/redis/cli'],
    results.map((r) => [
      r.system, Math.round(r.ingestedPerSec), r.ingested, r.perClient.min, r.perClient.max, `${r.complete}/${r.clients}`, r.resyncs, r.dupes,
      r.latencyMs ? fmtMs(r.latencyMs.p50) : '-', r.latencyMs ? fmtMs(r.latencyMs.p99) : '-', r.latencyMs ? fmtMs(r.latencyMs.max) : '-',
      r.mbPerSecToClients.toFixed(1), Math.round(r.bytesPerActivity), r.framesPerClientPerSec.toFixed(0), r.eventsPerFrame.toFixed(1), `${r.cpu.server ?? '-'}/${r.cpu.redis ?? '-'}/${r.cpu.clients ?? '-'}`,
    ]),
  ));
  console.log('Target (T5): every client gets every event; p99 delivery ≤ 150 ms at 2,000 events/s to 1,000 subscribers.');
  writeFileSync(path.join(RESULTS, 'fanout.json'), JSON.stringify({ at: new Date().toISOString(), options: o, cpus: os.cpus().length, results }, null, 2));
  log(`wrote ${path.relative(process.cwd(), path.join(RESULTS, 'fanout.json'))}`);
}

const role = process.argv.includes('--role') ? process.argv[process.argv.indexOf('--role') + 1] : null;
if (role === 'naive') {
  void naiveServer();
} else if (role === 'loader') {
  void loaderMain();
} else {
  main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
