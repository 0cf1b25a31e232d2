/**
 * Fan-out benchmark T5 (design/BENCHMARKS.md): `--clients` subscribers of the `sessions` topic
 * on /ws, `--rate` events/s ingested; does every client get every event, and how late?
 * Baseline in the same run: a naive per-event broadcast (a plain `ws` server that
 * JSON.stringify's each event and sends it to each client separately) at the same rate, to
 * the same number of clients, counted the same way.
 *
 *   npx tsx bench/fanout.ts [--clients 1000] [--rate 2000 | --rates 500,1000,2000] [--seconds 20] [--baseline-seconds 10]
 *                           [--sample 25] [--processes 4] [--drain 15] [--no-baseline] [--max-minutes 6]
 *                           [--detail full|changes|both]   (both, the default: a fresh stack for each)
 *   (every flag also reads an env var: BENCH_CLIENTS, BENCH_RATE, ...)
 *
 * What runs where: its own redis-server (random port, no persistence, hash-max-listpack-value
 * 512); the real Vigil server in a child process (bench/lib/server-main.ts, timer worker on,
 * default VIGIL_CLIENT_BUFFER_BYTES); the naive baseline server in another child process
 * (this file with --role naive); the load generator in a third child (--role loader); the
 * subscribers in `--processes` children of their own (bench/lib/fleet.ts), so neither the
 * load nor this process shares an event loop with them.
 *
 * Events: `session.activity`, coalesced by the server to one per session per second, so the
 *   load touches rate × 1.25 sessions round-robin (each one every 1.25 s, never coalesced)
 *   through the server's own touch-session Lua command (the writer path WS/REST activity
 *   takes), rate/100 every 10 ms, catching up when a tick is late. Ground truth: the
 *   `session.activity` entries the realm's stream gained during the run (XRANGE).
 * Clients subscribe before the sessions exist (small snapshots). Every client counts the
 *   `session.activity` events it receives (a substring count on the frame, no JSON parse);
 *   every `--sample`-th client parses every frame, records delivery latency = receipt
 *   (Date.now() on arrival) − event `at`, checks for duplicate ids, and keeps the session list
 *   as the dashboard does; at the end that list is compared with GET /sessions field by field,
 *   and every other client with the checked ones (bench/lib/fleet.ts says how). A `snapshot`
 *   with `resync: true` means the server found that socket congested and replaced the events
 *   it missed with a fresh snapshot: counted.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import type { Session } from '../shared/protocol.js';
import { defineCommands, type ScriptedRedis } from '../server/redis/scripts.js';
import { Keys } from '../server/redis/keys.js';
import { adminLogin, CpuWindow, flag, log, opt, redisPid, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { startChild, type BenchChild } from './lib/child.js';
import { fmtMs, maxOf, minOf, summarize, table, type Summary } from './lib/stats.js';
import { FLEET_LOG, Fleets, type ClientStats, type FleetReport } from './lib/fleet.js';

const o = {
  clients: opt('clients', 1000),
  rate: opt('rate', 2000),
  /** --rates 500,1000,2000: a run per rate (default: --rate alone). */
  rates: (process.argv.includes('--rates') ? process.argv[process.argv.indexOf('--rates') + 1]! : process.env.BENCH_RATES ?? '').split(',').filter(Boolean).map(Number),
  seconds: opt('seconds', 20),
  baselineSeconds: opt('baseline-seconds', 10),
  sample: opt('sample', 25),
  /** Subscriber processes the clients are spread over. */
  processes: opt('processes', 4),
  drain: opt('drain', 15),
  maxMinutes: opt('max-minutes', 6),
  baseline: !flag('no-baseline'),
  /** The subscriptions' `detail`: `changes` events carry only what changed (~315 B an activity instead of ~640). */
  details: ((process.argv.includes('--detail') ? process.argv[process.argv.indexOf('--detail') + 1] : process.env.BENCH_DETAIL) ?? 'both') === 'both'
    ? (['full', 'changes'] as const)
    : ([(process.argv.includes('--detail') ? process.argv[process.argv.indexOf('--detail') + 1] : process.env.BENCH_DETAIL) as 'full' | 'changes'] as const),
};
if (!o.rates.length) o.rates.push(o.rate);
if (o.rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error('--rates must be a comma-separated list of positive numbers');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  process.stdout.write(`LOADER_DONE ${JSON.stringify({ sent, seconds: (Date.now() - t0) / 1000, maxTickLagMs: maxOf(lags) })}\n`);
  await new Promise((res) => process.once('SIGTERM', res));
  process.exit(0);
}

// ---------------------------------------------------------------- results

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
  /**
   * The final state: `checked` clients (every --sample-th) kept the session list and were
   * compared with GET /sessions field by field; `exact` of them matched in every session;
   * `sameAsChecked` clients (checked ones included) got exactly the frames, bytes and
   * activity events of an exact client with no resync, so they hold the same state.
   */
  finalState: { sessions: number; checked: number; exact: number; sameAsChecked: number; example: string | null } | null;
  server: Record<string, number> | null;
  cpu: Record<string, number>;
}

function summarizeFleet(system: string, rep: FleetReport, expected: number, seconds: number, bytes: number, frames: number, cpu: Record<string, number>, server: Record<string, number> | null = null): Result {
  const c = rep.clients.map((x) => x.activity);
  const events = c.reduce((a, b) => a + b, 0);
  const checked = rep.clients.filter((x) => x.checked);
  const exact = checked.filter((x) => x.checked!.mismatched + x.checked!.missing + x.checked!.extra === 0 && x.resyncs === 0);
  const sig = (x: ClientStats) => `${x.frames}/${x.bytes}/${x.activity}`;
  const good = new Set(exact.map(sig));
  return {
    system, clients: c.length, seconds, ingested: expected, ingestedPerSec: expected / seconds,
    perClient: { min: minOf(c), max: maxOf(c), mean: events / c.length },
    complete: c.filter((x) => x >= expected).length,
    resyncs: rep.clients.reduce((a, s) => a + s.resyncs, 0),
    dupes: rep.clients.reduce((a, s) => a + s.dupes, 0),
    latencyMs: rep.latencies.length ? summarize(rep.latencies) : null,
    mbPerSecToClients: bytes / seconds / 1e6,
    bytesPerActivity: events ? bytes / events : 0,
    framesPerClientPerSec: frames / c.length / seconds,
    eventsPerFrame: frames ? events / frames : 0,
    finalState: checked.length
      ? {
          sessions: checked[0]!.checked!.sessions, checked: checked.length, exact: exact.length,
          sameAsChecked: rep.clients.filter((x) => x.resyncs === 0 && good.has(sig(x))).length,
          example: checked.find((x) => x.checked!.example)?.checked!.example ?? null,
        }
      : null,
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

/** What Redis holds: every session of the realm, through the REST API (as full detail shows them). */
async function sessionsInRedis(url: string, token: string): Promise<Session[]> {
  const out: Session[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `${url}/api/v1/realms/${REALM}/sessions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(q, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET /sessions: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { sessions: Session[]; nextCursor: string | null };
    out.push(...page.sessions);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const fleetCpu = (fleets: Fleets): Record<string, number> => Object.fromEntries(fleets.pids.map((p, i) => [`clients${i}`, p]));
const sumClients = (cpu: Record<string, number>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpu)) {
    const key = k.startsWith('clients') ? 'clients' : k;
    out[key] = Math.round(((out[key] ?? 0) + v) * 100) / 100;
  }
  return out;
};

// ---------------------------------------------------------------- Vigil

async function runVigil(stack: Stack, detail: 'full' | 'changes', rate: number): Promise<{ result: Result; template: Record<string, unknown> | null }> {
  const token = await adminLogin(stack.url, stack.adminPassword);
  const fleets = await Fleets.start(o.processes, FLEET_LOG(RESULTS));
  try {
    const t = Date.now();
    await fleets.connect(`${stack.wsUrl}/ws`, { authorization: `Bearer ${token}` }, { type: 'subscribe', topic: 'sessions', detail }, o.clients, o.sample);
    log(`Vigil: ${o.clients} clients in ${o.processes} processes subscribed to sessions (detail ${detail}) in ${Date.now() - t} ms`);
    const nSessions = Math.ceil(rate * 1.25);
    const sessions = await stack.createSessions(nSessions, 3600);
    log(`Vigil: ${nSessions} sessions created`);
    await sleep(2000); // their session.started events fan out first
    const rds = stack.rds;
    const streamKey = stack.keys.events(REALM);
    const lastId = async () => ((await rds.xrevrange(streamKey, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0');
    const fromId = await lastId();
    const t0 = await fleets.totals();
    const m0 = await scrapeCounters(stack.url);
    const cpu = new CpuWindow({ server: stack.server!.pid, redis: await redisPid(rds), ...fleetCpu(fleets) });

    await fleets.record(true);
    cpu.start();
    // the load runs in its own process too
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
        env: { LOADER_REDIS: stack.redis.url, LOADER_PREFIX: stack.prefix, LOADER_SIDS: sidFile, LOADER_RATE: String(rate), LOADER_SECONDS: String(o.seconds), LOADER_OUT: outFile },
      });
      sent = Number(loader.ready.sent);
      loadSeconds = Number(loader.ready.seconds);
      if (Number(loader.ready.maxTickLagMs) > 200) log(`loader: a 10 ms tick ran ${loader.ready.maxTickLagMs} ms late (machine busy)`);
    } finally {
      await loader?.stop();
      for (const f of [sidFile, outFile]) if (existsSync(f)) unlinkSync(f);
    }
    // quiet for 2.5 s: the trailing activity announcements (due within a second) are in
    await fleets.drain(o.drain);
    const cpuUse = sumClients(cpu.stop());
    await fleets.record(false);

    // ground truth: session.activity entries the stream gained, and the sessions as Redis holds them
    let expected = 0;
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
    const truth = await sessionsInRedis(stack.url, token);
    const t1 = await fleets.totals();
    const rep = await fleets.report(truth);
    const m1 = await scrapeCounters(stack.url);
    const server = Object.fromEntries(Object.keys(m1).map((k) => [k, m1[k]! - (m0[k] ?? 0)]));
    log(`Vigil server counters over the run: ${JSON.stringify(server)}`);
    log(`Vigil: touched ${sent} times in ${loadSeconds.toFixed(1)} s; stream gained ${expected} session.activity events`);
    await fleets.close();
    return { result: summarizeFleet(`Vigil hub, detail ${detail}`, rep, expected, loadSeconds, t1.bytes - t0.bytes, t1.frames - t0.frames, cpuUse, server), template: rep.template };
  } finally {
    await fleets.stop();
  }
}

// ---------------------------------------------------------------- baseline

async function runNaive(template: Record<string, unknown>, rate: number): Promise<Result> {
  const outFile = path.join(RESULTS, `fanout-naive-${process.pid}.json`);
  for (const f of [outFile, `${outFile}.go`]) if (existsSync(f)) unlinkSync(f);
  let child: BenchChild | null = null;
  const fleets = await Fleets.start(o.processes, FLEET_LOG(RESULTS));
  try {
    child = await startChild({
      entry: fileURLToPath(import.meta.url), args: ['--role', 'naive'], readyMarker: 'NAIVE_READY', logFile: path.join(RESULTS, 'fanout-naive.log'),
      env: { NAIVE_TEMPLATE: JSON.stringify(template), NAIVE_RATE: String(rate), NAIVE_SECONDS: String(o.baselineSeconds), NAIVE_OUT: outFile },
    });
    await fleets.connect(`ws://127.0.0.1:${Number(child.ready.port)}/`, {}, null, o.clients, o.sample);
    log(`naive: ${o.clients} clients in ${o.processes} processes connected; broadcasting for ${o.baselineSeconds} s`);
    const cpu = new CpuWindow({ server: child.pid, ...fleetCpu(fleets) });
    await fleets.record(true);
    cpu.start();
    writeFileSync(`${outFile}.go`, '1');
    const deadline = Date.now() + (o.baselineSeconds + 30) * 1000;
    while (!existsSync(outFile) && Date.now() < deadline) await sleep(100);
    await fleets.drain(o.drain);
    const cpuUse = sumClients(cpu.stop());
    await fleets.record(false);
    const { generated, seconds } = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as { generated: number; seconds: number }) : { generated: NaN, seconds: o.baselineSeconds };
    const t = await fleets.totals();
    const rep = await fleets.report(null);
    await fleets.close();
    return summarizeFleet('naive per-event ws broadcast', rep, generated, seconds, t.bytes, t.frames, cpuUse);
  } finally {
    await child?.stop();
    await fleets.stop();
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
  const results: Array<Result & { rate: number }> = [];
  try {
    for (const rate of o.rates) {
      let template: Record<string, unknown> | null = null;
      for (const detail of o.details) {
        stack = await startStack({ name: 'fanout' });
        const run = await runVigil(stack, detail, rate);
        results.push({ ...run.result, rate });
        template ??= run.template;
        await stack.stop();
        stack = null;
      }
      if (o.baseline && template) results.push({ ...(await runNaive(template, rate)), rate });
    }
  } finally {
    await stack?.stop();
    clearTimeout(watchdog);
  }
  console.log(`\nT5 fan-out — ${os.cpus().length} cores; ${o.clients} subscribers, target rates ${o.rates.join(', ')} events/s; Vigil ${o.seconds} s, baseline ${o.baselineSeconds} s; latency from every ${o.sample}th client`);
  console.log(table(
    ['system', 'rate', 'ingested /s', 'events', 'per client min', 'max', 'clients complete', 'final state = Redis', 'resyncs', 'dupes', 'p50 ms', 'p99 ms', 'max ms', 'MB/s out', 'B/activity/client', 'frames/client/s', 'events/frame', 'CPU srv/redis/cli'],
    results.map((r) => [
      r.system, r.rate, Math.round(r.ingestedPerSec), r.ingested, r.perClient.min, r.perClient.max, `${r.complete}/${r.clients}`,
      r.finalState ? `${r.finalState.sameAsChecked}/${r.clients} (${r.finalState.exact}/${r.finalState.checked} checked)` : '-', r.resyncs, r.dupes,
      r.latencyMs ? fmtMs(r.latencyMs.p50) : '-', r.latencyMs ? fmtMs(r.latencyMs.p99) : '-', r.latencyMs ? fmtMs(r.latencyMs.max) : '-',
      r.mbPerSecToClients.toFixed(1), Math.round(r.bytesPerActivity), r.framesPerClientPerSec.toFixed(0), r.eventsPerFrame.toFixed(1), `${r.cpu.server ?? '-'}/${r.cpu.redis ?? '-'}/${r.cpu.clients ?? '-'}`,
    ]),
  ));
  for (const r of results) if (r.finalState?.example) console.log(`${r.system}: first difference from Redis: ${r.finalState.example}`);
  console.log('final state = Redis: clients whose frames, bytes and activity count equal those of a checked client whose session list matched GET /sessions field by field (checked: every --sample-th client, which applies every event as the dashboard does).');
  console.log('Target (T5): every client\'s state equals Redis; every event delivered; p99 delivery ≤ 150 ms; ≤ 300 B per activity per client, at 2,000 events/s to 1,000 subscribers (changes).');
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
