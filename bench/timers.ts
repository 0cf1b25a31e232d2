/**
 * Timer benchmarks T1 and T2 (design/BENCHMARKS.md), with the one-BullMQ-job-per-deadline
 * baseline in the same run.
 *
 *   npx tsx bench/timers.ts [--sessions 50000] [--rate 1000] [--seconds 15] [--storm 20000]
 *                           [--lead 30] [--prompt 5] [--baseline-concurrency 50] [--no-baseline]
 *                           [--client-buffer-bytes N] [--max-minutes 15]
 *   (every flag also reads an env var: BENCH_SESSIONS, BENCH_RATE, BENCH_SECONDS, ...)
 *
 * What runs where: its own redis-server (random port, no persistence); the real Vigil server
 * in a child process (bench/lib/server-main.ts, timer worker on); the baseline BullMQ worker in
 * another child process (this file with --role baseline-worker); this process creates the
 * sessions straight through the `createSession` Lua command (pipelined, no argon2 logins),
 * schedules their slices with the server's own TimerWheel.schedule, and is the measuring
 * WebSocket client, subscribed to `sessions` as the admin.
 *
 * T1: `--rate` deadlines per second: console sessions created at rate/2 per second for
 *     `--seconds`, each with idleTimeout = `--lead` (≥ 30 s, the console minimum), so their
 *     warnings come due at rate/2 per second `--lead` s later and their expiries `--prompt` s
 *     after that (rate per second where the two overlap). Background sessions (idle timeouts
 *     of 1–1.5 h) bring the live count to `--sessions`.
 * T2: `--storm` sessions whose warnings fall in one second (their expiries then fall in one
 *     second `--prompt` s later: a second storm).
 * Baseline: the same deadlines (same offsets, shifted in time), each one BullMQ delayed job
 *     (`Queue.add(name, data, {delay})`), a Worker that XADDs the event to the same realm
 *     stream, delivered by the same hub to the same client.
 * Lateness = receipt time on the client − the deadline the event carries (session.warnAt for
 * session.warning, session.expiresAt for session.expired). All on one clock (one machine).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Keys } from '../server/redis/keys.js';
import { defineCommands, type ScriptedRedis } from '../server/redis/scripts.js';
import { RealmStore } from '../server/realms/store.js';
import { UserStore } from '../server/users/store.js';
import { TimerWheel } from '../server/timers/wheel.js';
import { Metrics } from '../server/metrics.js';
import { hashToken, newId, newSessionToken } from '../server/sessions/tokens.js';
import type { VigilEvent } from '../shared/protocol.js';
import { startRedis, type BenchRedis } from './lib/redis.js';
import { startChild, type BenchChild } from './lib/child.js';
import { cpuDiff, cpuMark, type CpuMark } from './lib/procstat.js';
import { BenchSubscriber } from './lib/realtime.js';
import { paced } from './lib/perf-stack.js';
import { diffHistogram, fmtMs, maxOf, minOf, histogramPercentile, parsePromHistogram, summarize, table, type PromHistogram, type Summary, runHeader } from './lib/stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, 'results');
const REALM = 'default';
const BASELINE_QUEUE = 'bench-baseline';
const STREAM_MAXLEN = '100000';

// ---------------------------------------------------------------- options

function opt(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const env = process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const raw = i >= 0 ? process.argv[i + 1] : env;
  if (raw === undefined) return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number, not "${raw}"`);
  return v;
}
const flag = (name: string) => process.argv.includes(`--${name}`) || process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] === '1';

// ---------------------------------------------------------------- baseline worker (child role)

interface BaselineJob {
  sid: string;
  kind: 'w' | 'e';
  /** The deadline, epoch ms. */
  at: number;
  lead: number;
  prompt: number;
}

async function runBaselineWorker(): Promise<void> {
  const url = process.env.REDIS_URL!;
  const prefix = process.env.BENCH_PREFIX!;
  const concurrency = Number(process.env.BENCH_BASELINE_CONCURRENCY ?? 50);
  const keys = new Keys(prefix);
  const stream = keys.events(REALM);
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const pub = new Redis(url, { enableAutoPipelining: true });
  const worker = new Worker<BaselineJob>(
    BASELINE_QUEUE,
    async (job) => {
      const { sid, kind, at, lead, prompt } = job.data;
      const now = Date.now();
      const wa = kind === 'w' ? at : at - prompt * 1000;
      const ea = wa + prompt * 1000;
      // the same event shape fire-due writes (the hub formats it the same way)
      const h = { id: sid, k: 'console', u: 'u_baseline', n: 'bench', c: '', st: 'w', wr: 'idle', ca: wa - lead * 1000, la: wa - lead * 1000, it: lead, mx: wa + 86_400_000, wa, ea, ip: '127.0.0.1', ua: 'vigil-bench' };
      const name = kind === 'w' ? 'session.warning' : 'session.expired';
      const data = kind === 'w' ? { reason: 'idle', expiresAt: ea, idleTimeout: lead } : { reason: 'idle' };
      await pub.xadd(stream, 'MAXLEN', '~', STREAM_MAXLEN, '*', 'n', name, 's', sid, 't', String(now), 'd', JSON.stringify(data), 'h', JSON.stringify(h));
    },
    { connection: conn, prefix: `${prefix}:bb`, concurrency },
  );
  worker.on('error', (err) => process.stderr.write(`baseline worker error: ${err.message}\n`));
  await worker.waitUntilReady();
  process.stdout.write(`BASELINE_READY ${JSON.stringify({ concurrency })}\n`);
  const stop = async () => {
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    await worker.close();
    conn.disconnect();
    pub.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
}

// ---------------------------------------------------------------- measurement bookkeeping

type System = 'vigil' | 'baseline';
type Test = 'T1' | 'T2';
type Kind = 'warning' | 'expiry';

interface Expected {
  sys: System;
  test: Test;
  sid: string;
  warnAt: number;
  expiresAt: number;
}

interface Sample {
  late: number; // receipt − deadline, ms
  fire: number; // event time (when it fired, server clock) − deadline, ms
  sched: number;
  recv: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

/** Redis `INFO commandstats`: calls and total µs per command. */
async function commandStats(r: Redis): Promise<Record<string, { calls: number; usec: number }>> {
  const out: Record<string, { calls: number; usec: number }> = {};
  for (const m of (await r.info('commandstats')).matchAll(/^cmdstat_(\S+):calls=(\d+),usec=(\d+)/gm)) out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}

class Recorder {
  readonly bySid = new Map<string, Expected>();
  readonly samples = new Map<string, Sample[]>();
  readonly seen = new Set<string>();
  duplicates = 0;
  unknown = 0;
  received = { vigil: 0, baseline: 0 };

  expect(e: Expected): void {
    this.bySid.set(e.sid, e);
  }

  onEvents = (events: VigilEvent[], receivedAt: number): void => {
    for (const e of events) {
      const kind: Kind | null = e.name === 'session.warning' ? 'warning' : e.name === 'session.expired' ? 'expiry' : null;
      if (!kind || !e.sessionId) continue;
      const x = this.bySid.get(e.sessionId);
      if (!x) {
        this.unknown++;
        continue;
      }
      const k = `${e.sessionId}|${kind}`;
      if (this.seen.has(k)) {
        this.duplicates++;
        continue;
      }
      this.seen.add(k);
      const sched = Date.parse(kind === 'warning' ? e.session!.warnAt : e.session!.expiresAt);
      const key = `${x.sys}|${x.test}|${kind}`;
      let list = this.samples.get(key);
      if (!list) this.samples.set(key, (list = []));
      list.push({ late: receivedAt - sched, fire: Date.parse(e.at) - sched, sched, recv: receivedAt });
      this.received[x.sys]++;
    }
  };

  get(sys: System, test: Test, kind?: Kind): Sample[] {
    if (kind) return this.samples.get(`${sys}|${test}|${kind}`) ?? [];
    return [...this.get(sys, test, 'warning'), ...this.get(sys, test, 'expiry')];
  }
}

/**
 * Deadlines per (whole) scheduled second: the median over the steady part (`trimMs` in from
 * either end: T1's warnings and expiries overlap only there), the peak, and the overall mean.
 */
function rates(scheds: number[], trimMs = 0): { median: number; peak: number; mean: number; spanMs: number } {
  if (!scheds.length) return { median: 0, peak: 0, mean: 0, spanMs: 0 };
  const per = new Map<number, number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scheds) {
    const sec = Math.floor(s / 1000);
    per.set(sec, (per.get(sec) ?? 0) + 1);
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  const all = [...per.values()].sort((a, b) => a - b);
  const steadyFrom = Math.ceil((lo + trimMs) / 1000);
  const steadyTo = Math.floor((hi - trimMs) / 1000); // exclusive: the last whole second before it
  const steady = [...per.entries()].filter(([sec]) => sec >= steadyFrom && sec < steadyTo).map(([, c]) => c).sort((a, b) => a - b);
  const counts = steady.length ? steady : all;
  const spanMs = hi - lo;
  return { median: counts[Math.floor(counts.length / 2)]!, peak: all[all.length - 1]!, mean: scheds.length / Math.max(1, spanMs / 1000), spanMs };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const o = {
    sessions: opt('sessions', 50_000),
    rate: opt('rate', 1000),
    seconds: opt('seconds', 15),
    storm: opt('storm', 20_000),
    lead: opt('lead', 30),
    prompt: opt('prompt', 5),
    baselineConcurrency: opt('baseline-concurrency', 50),
    baseline: !flag('no-baseline'),
    maxMinutes: opt('max-minutes', 15),
    /** The server's VIGIL_CLIENT_BUFFER_BYTES; 0 = the server's default. */
    clientBufferBytes: opt('client-buffer-bytes', 0),
  };
  const t1Sessions = Math.round((o.rate / 2) * o.seconds);
  const background = Math.max(0, o.sessions - t1Sessions - o.storm);
  const liveTarget = background + t1Sessions + o.storm;
  mkdirSync(RESULTS, { recursive: true });
  const serverLog = path.join(RESULTS, 'timers-server.log');
  const baselineLog = path.join(RESULTS, 'timers-baseline.log');
  writeFileSync(serverLog, '');
  writeFileSync(baselineLog, '');
  const started = Date.now();
  const loadavgAtStart = os.loadavg();
  const log = (m: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);
  log(`timers bench: ${liveTarget} live sessions (${background} background + ${t1Sessions} T1 + ${o.storm} T2), T1 ${o.rate} deadlines/s for ${o.seconds} s, T2 storm ${o.storm}, lead ${o.lead} s, prompt ${o.prompt} s, baseline ${o.baseline ? `on (concurrency ${o.baselineConcurrency})` : 'off'}`);

  let redis: BenchRedis | null = null;
  let server: BenchChild | null = null;
  let baselineWorker: BenchChild | null = null;
  const closers: Array<() => unknown> = [];
  const watchdog = setTimeout(() => {
    process.stderr.write(`timers bench: over --max-minutes ${o.maxMinutes}; stopping\n`);
    void Promise.allSettled([server?.stop(), baselineWorker?.stop()]).then(() => redis?.stop()).finally(() => process.exit(2));
  }, o.maxMinutes * 60_000);
  watchdog.unref();

  try {
    redis = await startRedis();
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const adminPassword = `bench-admin-${randomBytes(6).toString('hex')}`;
    log(`redis-server on ${redis.url}, key prefix ${prefix}`);
    const serverEntry = path.join(HERE, 'lib', 'server-main.ts');
    server = await startChild({
      entry: serverEntry, readyMarker: 'VIGIL_BENCH_READY', logFile: serverLog,
      env: { REDIS_URL: redis.url, VIGIL_REDIS_PREFIX: prefix, VIGIL_ADMIN_PASSWORD: adminPassword, VIGIL_LOG_LEVEL: 'warn', VIGIL_ROLE: 'all', ...(o.clientBufferBytes ? { VIGIL_CLIENT_BUFFER_BYTES: String(o.clientBufferBytes) } : {}) },
    });
    const port = Number(server.ready.port);
    const url = `http://127.0.0.1:${port}`;
    log(`Vigil server child pid ${server.pid} on ${url} (log: ${path.relative(process.cwd(), serverLog)})`);
    if (o.baseline) {
      baselineWorker = await startChild({
        entry: fileURLToPath(import.meta.url), args: ['--role', 'baseline-worker'], readyMarker: 'BASELINE_READY', logFile: baselineLog,
        env: { REDIS_URL: redis.url, BENCH_PREFIX: prefix, BENCH_BASELINE_CONCURRENCY: String(o.baselineConcurrency) },
      });
      log(`baseline BullMQ worker child pid ${baselineWorker.pid}`);
    }

    // ---- setup through the server's own stores (same Redis, same prefix)
    const rds: ScriptedRedis = defineCommands(new Redis(redis.url));
    closers.push(() => rds.disconnect());
    const bull = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(() => bull.disconnect());
    const keys = new Keys(prefix);
    await new RealmStore(rds, keys).patch(REALM, { expiryPromptSeconds: o.prompt });
    const users = new UserStore(rds, keys);
    const admin = await users.byUsername(REALM, 'admin');
    if (!admin) throw new Error('bootstrap made no admin');
    await users.setTokenLifetime(REALM, admin.id, 86_400); // the watcher must outlive the run
    const benchUser = await users.create(REALM, { username: 'bench', password: `bench-${randomBytes(6).toString('hex')}`, roles: ['user'] }, 1800);
    const wheel = new TimerWheel(rds, keys, bull, new Metrics({ defaults: false }), { warn: () => {}, error: (o2, m) => process.stderr.write(`${m} ${JSON.stringify(o2)}\n`) });
    closers.push(() => wheel.queue.close());

    const login = await fetch(`${url}/api/v1/realms/${REALM}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
    if (login.status !== 201) throw new Error(`admin login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };

    const rec = new Recorder();
    const sub = new BenchSubscriber(url.replace('http', 'ws'), token, rec.onEvents);
    closers.push(() => sub.close());
    await sub.subscribe('sessions');
    let subscriberClosed: { code: number; reason: string } | null = null;
    void sub.closed.then((c) => (subscriberClosed = c));
    log('admin subscribed to `sessions` over /ws');

    const scrape = async (): Promise<PromHistogram[]> => parsePromHistogram(await (await fetch(`${url}/metrics`)).text(), 'vigil_timer_lateness_seconds');

    /** Creates sessions in pipelines; `idle(i)` gives each one's idle timeout (s). */
    const createSessions = async (n: number, idle: (i: number) => number, test: Test | null, chunk: number, inFlight: number): Promise<number> => {
      const t = Date.now();
      let next = 0;
      const runOne = async (): Promise<void> => {
        while (next < n) {
          const from = next;
          const to = Math.min(n, from + chunk);
          next = to;
          const p = rds.pipeline() as unknown as ScriptedRedis & { exec(): Promise<Array<[Error | null, unknown]> | null> };
          const rows: Array<{ sid: string; it: number }> = [];
          for (let i = from; i < to; i++) {
            const sid = newId('s_');
            const it = idle(i);
            rows.push({ sid, it });
            p.createSession(...keys.script.createSession(REALM, sid, benchUser.id), sid, hashToken(newSessionToken(sid)), 'console', benchUser.id, benchUser.username, '', it, '127.0.0.1', 'vigil-bench');
          }
          const slices = new Set<number>();
          const res = (await p.exec()) ?? [];
          res.forEach(([err, reply], j) => {
            if (err) throw err;
            const r = reply as unknown[];
            const la = Number(r[0]);
            for (const s of r.slice(2)) slices.add(Number(s));
            if (test) {
              const warnAt = la + rows[j]!.it * 1000;
              rec.expect({ sys: 'vigil', test, sid: rows[j]!.sid, warnAt, expiresAt: warnAt + o.prompt * 1000 });
            }
          });
          await wheel.schedule(REALM, [...slices]);
        }
      };
      await Promise.all(Array.from({ length: inFlight }, runOne));
      return Date.now() - t;
    };

    // ================================================================ Vigil
    const h0 = await scrape();
    if (background) {
      const ms = await createSessions(background, (i) => 3600 + (i % 1800), null, 1000, 2);
      log(`created ${background} background sessions in ${(ms / 1000).toFixed(1)} s (${Math.round(background / (ms / 1000))}/s)`);
    }
    // T2's storm second lies GAP after T1's last expiry; T1 starts when the storm sessions exist
    // (generous estimate, on a loaded machine ~2,000 creations/s), so the phases do not overlap
    const GAP_MS = 4000;
    const stormCreateEstMs = o.storm ? 2000 + (o.storm / 1500) * 1000 : 0;
    const t1Span = (o.lead + o.seconds + o.prompt) * 1000;
    const stormTarget = Math.ceil((Date.now() + stormCreateEstMs + t1Span + GAP_MS) / 1000) * 1000;
    if (o.storm) {
      const ms = await createSessions(o.storm, () => Math.ceil((stormTarget - Date.now()) / 1000), 'T2', 250, 1);
      log(`created ${o.storm} T2 storm sessions in ${(ms / 1000).toFixed(1)} s; their warnings are due from ${new Date(stormTarget).toISOString()}`);
    }
    // T1: paced creation, rate/2 sessions per second, each due `lead` s later (then +prompt)
    if (o.storm) await sleepUntil(stormTarget - GAP_MS - t1Span);
    const t1Start = Date.now();
    await paced(t1Start, t1Sessions, o.rate / 2, (n) => createSessions(n, () => o.lead, 'T1', 500, 1));
    const t1CreateEnd = Date.now();
    log(`created ${t1Sessions} T1 sessions paced over ${((t1CreateEnd - t1Start) / 1000).toFixed(1)} s; live sessions: ${await rds.zcard(keys.deadlines(REALM))}`);
    const t1LastDeadline = t1CreateEnd + (o.lead + o.prompt) * 1000;
    if (o.storm && t1LastDeadline > stormTarget - 1000) log(`NOTE: T1's last deadlines (${new Date(t1LastDeadline).toISOString()}) come near or after the T2 storm: phases overlap`);
    const liveAtT1 = await rds.zcard(keys.deadlines(REALM));

    // per phase: wall time, load, CPU time of each process, Redis command stats
    const pids = { server: server.pid, redis: redis.pid, baselineWorker: baselineWorker?.pid, client: process.pid };
    const marks: Array<{ name: string; cpu: CpuMark; cmd: Record<string, { calls: number; usec: number }> }> = [];
    const mark = async (name: string) => marks.push({ name, cpu: cpuMark(pids), cmd: await commandStats(rds) });
    await sleepUntil(t1Start + o.lead * 1000 - 300);
    await mark('vigil T1 start');

    const expectedOf = (sys: System, test: Test) => [...rec.bySid.values()].filter((x) => x.sys === sys && test === x.test).length * 2;
    const waitFor = async (sys: System, test: Test, until: number, what: string) => {
      const want = expectedOf(sys, test);
      let last = 0;
      while (rec.get(sys, test).length < want && Date.now() < until) {
        await sleep(200);
        if (Date.now() - last > 5000) {
          last = Date.now();
          log(`  ${what}: ${rec.get(sys, test).length}/${want} events received`);
        }
      }
    };
    await waitFor('vigil', 'T1', Math.min(o.storm ? stormTarget - 500 : Infinity, t1LastDeadline + 15_000), 'Vigil T1');
    await mark('vigil T1 end');
    const h1 = await scrape();
    log(`Vigil T1 done: ${rec.get('vigil', 'T1').length}/${expectedOf('vigil', 'T1')} events`);
    let h2 = h1;
    if (o.storm) {
      await sleepUntil(stormTarget - 300);
      await mark('vigil T2 start');
      await waitFor('vigil', 'T2', stormTarget + (o.prompt + 30) * 1000, 'Vigil T2');
      await mark('vigil T2 end');
      h2 = await scrape();
      log(`Vigil T2 done: ${rec.get('vigil', 'T2').length}/${expectedOf('vigil', 'T2')} events`);
    }
    const liveAfter = await rds.zcard(keys.deadlines(REALM));

    // ================================================================ baseline
    let baselineInfo: Record<string, unknown> | null = null;
    if (o.baseline) {
      // the same deadlines, shifted so that the first one comes once every job is added
      const vigilExpected = [...rec.bySid.values()].filter((x) => x.sys === 'vigil');
      const first = minOf(vigilExpected.map((x) => x.warnAt));
      const addEstMs = 3000 + vigilExpected.length * 2 * 0.2; // ~5,000 adds/s on a loaded machine; measured below
      const shift = Date.now() + addEstMs - first;
      const queue = new Queue<BaselineJob>(BASELINE_QUEUE, { connection: bull, prefix: `${prefix}:bb` });
      closers.push(() => queue.close());
      const jobs: BaselineJob[] = [];
      let i = 0;
      for (const x of vigilExpected) {
        const sid = `b${x.test}_${i++}`;
        rec.expect({ sys: 'baseline', test: x.test, sid, warnAt: x.warnAt + shift, expiresAt: x.expiresAt + shift });
        jobs.push({ sid, kind: 'w', at: x.warnAt + shift, lead: o.lead, prompt: o.prompt }, { sid, kind: 'e', at: x.expiresAt + shift, lead: o.lead, prompt: o.prompt });
      }
      jobs.sort((a, b) => a.at - b.at);
      const tAdd = Date.now();
      let next = 0;
      const adder = async () => {
        while (next < jobs.length) {
          const j = jobs[next++]!;
          await queue.add('deadline', j, { delay: Math.max(0, j.at - Date.now()), removeOnComplete: true, removeOnFail: true });
        }
      };
      await mark('baseline add start');
      await Promise.all(Array.from({ length: 200 }, adder));
      const addMs = Date.now() - tAdd;
      await mark('baseline T1 start');
      const firstAt = first + shift;
      log(`baseline: added ${jobs.length} delayed jobs (one per deadline) in ${(addMs / 1000).toFixed(1)} s (${Math.round(jobs.length / (addMs / 1000))}/s); first deadline ${firstAt - Date.now()} ms from now`);
      baselineInfo = { jobs: jobs.length, addMs, addsPerSecond: Math.round(jobs.length / (addMs / 1000)), addsDoneBeforeFirstDeadlineMs: firstAt - (tAdd + addMs), concurrency: o.baselineConcurrency };
      const t1Last = maxOf([...rec.bySid.values()].filter((x) => x.sys === 'baseline' && x.test === 'T1').map((x) => x.expiresAt));
      await waitFor('baseline', 'T1', t1Last + 30_000, 'baseline T1');
      await mark('baseline T1 end');
      log(`baseline T1 done: ${rec.get('baseline', 'T1').length}/${expectedOf('baseline', 'T1')} events`);
      if (o.storm) {
        const t2Last = maxOf([...rec.bySid.values()].filter((x) => x.sys === 'baseline' && x.test === 'T2').map((x) => x.expiresAt));
        const t2First = minOf([...rec.bySid.values()].filter((x) => x.sys === 'baseline' && x.test === 'T2').map((x) => x.warnAt));
        await sleepUntil(t2First - 300);
        await mark('baseline T2 start');
        await waitFor('baseline', 'T2', t2Last + 60_000, 'baseline T2');
        await mark('baseline T2 end');
        log(`baseline T2 done: ${rec.get('baseline', 'T2').length}/${expectedOf('baseline', 'T2')} events`);
      }
      const counts = await queue.getJobCounts('delayed', 'wait', 'active', 'failed');
      baselineInfo.leftInQueue = counts;
    }

    // ================================================================ report
    const rowsOut: Array<Record<string, unknown>> = [];
    const printRows: Array<Array<string | number>> = [];
    const systems: System[] = o.baseline ? ['vigil', 'baseline'] : ['vigil'];
    const tests: Test[] = o.storm ? ['T1', 'T2'] : ['T1'];
    const summaries = new Map<string, Summary>();
    for (const test of tests) {
      for (const sys of systems) {
        for (const kind of [undefined, 'warning', 'expiry'] as const) {
          const samples = rec.get(sys, test, kind);
          const expected = [...rec.bySid.values()].filter((x) => x.sys === sys && x.test === test).length * (kind ? 1 : 2);
          const late = summarize(samples.map((s) => s.late));
          const fire = summarize(samples.map((s) => s.fire));
          const deliver = summarize(samples.map((s) => s.late - s.fire));
          const r = rates(samples.map((s) => s.sched), kind ? 0 : o.prompt * 1000);
          // how fast the deadlines were fired and delivered once due: first deadline → last receipt
          const firstSched = minOf(samples.map((s) => s.sched));
          const lastRecv = maxOf(samples.map((s) => s.recv));
          const drainMs = samples.length ? lastRecv - firstSched : NaN;
          const over1500 = samples.filter((s) => s.late > 1500).length;
          if (!kind) summaries.set(`${sys}|${test}`, late);
          rowsOut.push({ system: sys, test, kind: kind ?? 'all', expected, received: samples.length, missing: expected - samples.length, lateMs: late, fireLateMs: fire, deliverMs: deliver, ratePerSecond: r, over1500ms: over1500, firstDeadlineToLastReceiptMs: drainMs });
          printRows.push([
            `${test} ${sys}${kind ? ` ${kind}` : ''}`, expected, expected - samples.length, fmtMs(late.p50), fmtMs(late.p90), fmtMs(late.p99), fmtMs(late.max), fmtMs(fire.p50), fmtMs(fire.p99), fmtMs(deliver.p50), fmtMs(deliver.p99),
            test === 'T1' ? `${r.median}/${r.peak}` : `${(r.spanMs / 1000).toFixed(2)} s`, test === 'T2' ? over1500 : '', test === 'T2' && kind ? `${Math.round(samples.length / (drainMs / 1000))}/s` : '',
          ]);
        }
      }
    }
    const ratios: Array<Array<string | number>> = [];
    const ratiosOut: Record<string, unknown> = {};
    if (o.baseline) {
      for (const test of tests) {
        const v = summaries.get(`vigil|${test}`)!;
        const b = summaries.get(`baseline|${test}`)!;
        const ratio = (x: number, y: number) => (y > 0 ? x / y : NaN);
        ratiosOut[test] = { p50: ratio(b.p50, v.p50), p99: ratio(b.p99, v.p99), max: ratio(b.max, v.max) };
        ratios.push([test, `${ratio(b.p50, v.p50).toFixed(1)}x`, `${ratio(b.p99, v.p99).toFixed(1)}x`, `${ratio(b.max, v.max).toFixed(1)}x`]);
      }
    }
    const hist = (a: PromHistogram[], b: PromHistogram[]) => a.map((s) => diffHistogram(s, b.find((x) => x.labels === s.labels)));
    const serverT1 = hist(h1, h0);
    const serverT2 = hist(h2, h1);
    const histRows = (label: string, hs: PromHistogram[]) =>
      hs.filter((h) => h.count > 0).map((h) => [label, h.labels.replace(/"/g, ''), h.count, `${fmtMs((h.sum / h.count) * 1000)}`, `≤ ${histogramPercentile(h, 50) * 1000}`, `≤ ${histogramPercentile(h, 99) * 1000}`, `≤ ${histogramPercentile(h, 100) * 1000}`]);

    const out: string[] = [];
    out.push('');
    out.push(`Timer lateness, client-side: event received on a subscribed /ws client − its deadline (ms).`);
    out.push(`Live sessions: ${liveAtT1} during T1 (target ${liveTarget}), ${liveAfter} after T2. Vigil server: separate child process; baseline worker: ${o.baseline ? `separate child process (concurrency ${o.baselineConcurrency})` : 'not run'}; client buffer ${o.clientBufferBytes || 'server default'}; client/creator: this process. ${os.cpus().length} CPUs, Node ${process.version}.`);
    out.push('');
    out.push(table(['run', 'expected', 'missing', 'p50', 'p90', 'p99', 'max', 'fire p50', 'fire p99', 'dlv p50', 'dlv p99', 'T1 rate med/peak (/s) | T2 span', 'T2 >1.5s', 'T2 drain'], printRows));
    out.push('  fire = the event\'s own time (when the script or worker wrote it) − deadline; dlv = receipt − event time (stream → hub → socket → client).');
    out.push(`  T1 rate: deadlines per scheduled second, median over the steady part (warnings and expiries overlapping) / peak second. T2 span: first to last deadline of the storm; drain: deadlines ÷ (last receipt − first deadline).`);
    if (ratios.length) {
      out.push('');
      out.push('Baseline ÷ Vigil (lateness, higher = Vigil better):');
      out.push(table(['test', 'p50', 'p99', 'max'], ratios));
    }
    out.push('');
    out.push('Server-side vigil_timer_lateness_seconds (fire time − deadline, per phase, bucket upper bounds in ms):');
    out.push(table(['phase', 'labels', 'count', 'mean', 'p50', 'p99', 'max'], [...histRows('T1', serverT1), ...histRows('T2', serverT2)]));
    out.push('');
    out.push('Cost per phase (CPU time from /proc, so it holds on a shared machine; Redis µs from INFO commandstats):');
    const phaseRows: Array<Array<string | number>> = [];
    const phasesOut: Array<Record<string, unknown>> = [];
    for (let i = 0; i + 1 < marks.length; i++) {
      const a = marks[i]!;
      const b = marks[i + 1]!;
      if (!a.name.endsWith('start') || b.name !== a.name.replace(/start$/, 'end') && !(a.name === 'baseline add start' && b.name === 'baseline T1 start')) continue;
      const name = a.name.replace(/ start$/, '');
      const d = cpuDiff(a.cpu, b.cpu);
      const cmd: Record<string, { calls: number; usec: number }> = {};
      for (const [k, v] of Object.entries(b.cmd)) {
        const calls = v.calls - (a.cmd[k]?.calls ?? 0);
        if (calls > 0) cmd[k] = { calls, usec: v.usec - (a.cmd[k]?.usec ?? 0) };
      }
      const [sys, test] = name.split(' ') as [System, string];
      const deadlines = test === 'T1' || test === 'T2' ? rec.get(sys, test as Test).length : [...rec.bySid.values()].filter((x) => x.sys === 'baseline').length * 2;
      const topCmds = Object.entries(cmd).sort((x, y) => y[1].usec - x[1].usec).slice(0, 3).map(([k, v]) => `${k} ${v.calls}×${(v.usec / v.calls).toFixed(0)}µs`).join(', ');
      phasesOut.push({ phase: name, deadlines, ...d, redisCommands: cmd });
      const per = (ms: number) => (deadlines ? ((ms * 1000) / deadlines).toFixed(0) : '-');
      phaseRows.push([name, deadlines, (d.wallMs / 1000).toFixed(1), d.load1.toFixed(1), fmtMs(d.cpuMs.server ?? NaN), fmtMs(d.cpuMs.redis ?? NaN), fmtMs(d.cpuMs.baselineWorker ?? NaN), fmtMs(d.cpuMs.client ?? NaN), per((d.cpuMs.server ?? 0) + (d.cpuMs.redis ?? 0) + (d.cpuMs.baselineWorker ?? 0)), topCmds]);
    }
    out.push(table(['phase', 'deadlines', 'wall s', 'load1', 'server ms', 'redis ms', 'bworker ms', 'client ms', 'srv+redis+bw µs/deadline', 'top Redis commands (calls×µs/call; commands run inside scripts count too)'], phaseRows));
    (globalThis as { __phases?: unknown }).__phases = phasesOut;
    out.push('');
    out.push(`Subscriber: ${sub.stats.frames} frames, ${sub.stats.events} events, ${(sub.stats.bytes / 1e6).toFixed(1)} MB, resyncs ${sub.stats.resyncs}; duplicates ${rec.duplicates}, unknown ${rec.unknown}${subscriberClosed ? `; CLOSED ${JSON.stringify(subscriberClosed)}` : ''}.`);
    out.push(`Total ${((Date.now() - started) / 1000).toFixed(0)} s. Load average (1/5/15 min) at start ${loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.`);
    process.stdout.write(out.join('\n') + '\n');

    const result = {
      ...runHeader('timers', loadavgAtStart),
      options: o,
      sessions: { background, t1: t1Sessions, storm: o.storm, liveTarget, liveAtT1, liveAfter },
      process: { server: 'child process (bench/lib/server-main.ts)', baselineWorker: 'child process (bench/timers.ts --role baseline-worker)', client: 'this process' },
      rows: rowsOut,
      ratioBaselineOverVigil: ratiosOut,
      serverHistogram: { T1: serverT1, T2: serverT2, all: h2 },
      phases: (globalThis as { __phases?: unknown }).__phases,
      subscriber: sub.stats,
      duplicates: rec.duplicates,
      unknownEvents: rec.unknown,
      subscriberClosed,
      baseline: baselineInfo,
      totalSeconds: (Date.now() - started) / 1000,
    };
    const file = path.join(RESULTS, 'timers.json');
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    // every sample, for anyone who wants to look closer (git-ignored like the summary)
    const raw: Record<string, number[][]> = {};
    for (const [k, list] of rec.samples) raw[k] = list.map((x) => [x.sched, x.fire, x.late]);
    writeFileSync(path.join(RESULTS, 'timers-samples.json'), JSON.stringify({ columns: ['deadlineMs', 'fireLateMs', 'receiptLateMs'], samples: raw }) + '\n');
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch {
        /* closing anyway */
      }
    }
    await Promise.allSettled([server?.stop(), baselineWorker?.stop()]);
    await redis?.stop();
    clearTimeout(watchdog);
  }
}

if (process.argv.includes('--role') && process.argv[process.argv.indexOf('--role') + 1] === 'baseline-worker') {
  void runBaselineWorker().catch((err) => {
    process.stderr.write(`baseline worker failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
} else {
  void main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`timers bench failed: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
