/**
 * Redis outage benchmark T11 (design/BENCHMARKS.md): a Redis outage of 10 s under load — every
 * request during it answered ≤ 2 s (503); every timer due during it fired ≤ 2 s after Redis
 * returns; none lost. Baseline: the same load and the same deadlines without the outage, in the
 * same run.
 *
 *   npx tsx bench/outage.ts [--rate 200] [--timers 1000] [--outage 10] [--prompt 10]
 *                           [--load-sessions 100] [--no-kill] [--max-minutes 3]
 *   (every flag also reads an env var: BENCH_RATE, BENCH_TIMERS, ...)
 *
 * What runs where: bench/lib/perf-stack.ts — a redis-server of the benchmark's own (127.0.0.1, a
 * free port, AOF with fsync always so that it can be killed and started again with its data, as
 * a deployment's would), the real Vigil server in a child process (timer worker on), and this
 * process: the load, the sessions, a /ws subscriber and the outages.
 *
 * Phases, one after the other on the same server, each a window of `--outage` seconds:
 *   baseline — nothing happens to Redis;
 *   pause    — redis-server SIGSTOPped for the window (a stalled Redis: connections open, silent),
 *              then SIGCONT;
 *   kill     — redis-server SIGKILLed at the start of the window and started again on the same
 *              port at its end (skipped with --no-kill).
 * Load: `--rate` requests/s, open loop (issued on schedule whether or not earlier ones have
 *   answered), over keep-alive connections, alternating authenticated GET /me and POST
 *   /sessions/current/activity with the tokens of `--load-sessions` long-lived sessions.
 * Timers: for each phase, `--timers` console sessions created at the start (through the
 *   createSession Lua command, slices scheduled by the server's own TimerWheel code) with idle
 *   timeouts chosen so that their warnings fall inside that phase's window, spread over it; the
 *   expiries come `--prompt` s later, after the window (on schedule). Ground truth is the
 *   realm's stream (each event's time is Redis TIME when it fired); an admin /ws subscriber
 *   records when each event reached a client.
 * Measures, per phase: the requests issued during the window (count, statuses, answer time
 *   p50/p99/max, how many over 2 s or never answered); the warnings due in the window (fired,
 *   lost, doubled) and how late each fired after Redis was back — event time − max(deadline,
 *   return), where "return" is the SIGCONT, or the spawn of the restarted redis-server (so its
 *   own start and AOF load count against Vigil; the baseline: its deadline) — in the stream and
 *   as received over /ws; the expiries after it (lateness vs their deadline).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { VigilEvent } from '../shared/protocol.js';
import { adminLogin, flag, log, opt, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { startRedis, type BenchRedis } from './lib/redis.js';
import { BenchSubscriber } from './lib/realtime.js';
import { fmtMs, runFooter, runHeader, summarize, table, type Summary } from './lib/stats.js';
import { readFired, streamCursor } from './lib/stream.js';

const o = {
  rate: opt('rate', 200),
  timers: opt('timers', 1000),
  outage: opt('outage', 10),
  prompt: opt('prompt', 10),
  loadSessions: opt('load-sessions', 100),
  kill: !flag('no-kill'),
  maxMinutes: opt('max-minutes', 3),
};
const TARGET_MS = 2000;
const REQUEST_GIVE_UP_MS = 30_000;
const MAX_IN_FLIGHT = 5000;
/** Seconds from the start of creating the sessions to the first window (the idle timeout minimum is 30 s). */
const FIRST_WINDOW_S = 32;
/** The timer sessions are created over this many seconds, so their deadlines spread over the windows. */
const SPREAD_S = o.outage - 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

type PhaseKind = 'baseline' | 'pause' | 'kill';

interface Sample {
  at: number; // issued (epoch ms)
  ms: number; // answer time; NaN when never answered
  status: number; // 0: no answer / connection error
  kind: 'me' | 'activity';
}

/** Open-loop REST load: `rate` requests/s on schedule, keep-alive, whatever earlier ones are doing. */
class Load {
  readonly samples: Sample[] = [];
  skipped = 0;
  private inFlight = 0;
  private issued = 0;
  private t0 = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  constructor(private readonly port: number, private readonly tokens: string[], private readonly rate: number) {}

  start(): void {
    this.t0 = performance.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - this.t0) * this.rate) / 1000);
      while (this.issued < due) {
        this.issued++;
        if (this.inFlight >= MAX_IN_FLIGHT) {
          this.skipped++;
          continue;
        }
        this.one(this.issued % 2 === 0 ? 'me' : 'activity', this.tokens[this.issued % this.tokens.length]!);
      }
    }, 5);
  }

  private one(kind: 'me' | 'activity', token: string): void {
    const at = Date.now();
    const t = performance.now();
    const sample: Sample = { at, ms: NaN, status: 0, kind };
    this.samples.push(sample);
    this.inFlight++;
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      this.inFlight--;
      sample.status = status;
      if (status) sample.ms = performance.now() - t;
    };
    const req = http.request({
      host: '127.0.0.1', port: this.port, agent: this.agent,
      method: kind === 'me' ? 'GET' : 'POST',
      path: `/api/v1/realms/${REALM}/${kind === 'me' ? 'me' : 'sessions/current/activity'}`,
      headers: { authorization: `Bearer ${token}` },
    }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('error', () => finish(0));
    });
    req.setTimeout(REQUEST_GIVE_UP_MS, () => req.destroy(new Error('no answer')));
    req.on('error', () => finish(0));
    req.end();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.agent.destroy();
  }
}

interface Deadline {
  sid: string;
  warnAt: number;
  expiresAt: number;
}

interface Phase {
  kind: PhaseKind;
  windowStart: number;
  windowEnd: number;
  /** When Redis was back (SIGCONT sent / the restarted server spawned); the baseline: null. */
  backAt: number | null;
  deadlines: Deadline[];
  notes: string[];
}

interface RequestResult {
  issued: number;
  answered: number;
  noAnswer: number;
  statuses: Record<string, number>;
  answerMs: Summary;
  overTarget: number;
  /** The first request issued after Redis was back that succeeded, relative to the return. */
  firstSuccessAfterBackMs: number | null;
}

interface TimerResult {
  due: number;
  fired: number;
  lost: number;
  doubled: number;
  /** Event time − max(deadline, return), from the stream. */
  lateMs: Summary;
  overTarget: number;
  /** The same, as received by the /ws subscriber. */
  wsLateMs: Summary;
  wsReceived: number;
  wsOverTarget: number;
}

interface PhaseResult {
  kind: PhaseKind;
  window: { start: string; seconds: number };
  backAfterWindowStartMs: number | null;
  requests: RequestResult;
  warnings: TimerResult;
  expiries: TimerResult;
  notes: string[];
}

function requestResult(p: Phase, samples: Sample[]): RequestResult {
  const inWindow = samples.filter((s) => s.at >= p.windowStart && s.at < p.windowEnd);
  const answered = inWindow.filter((s) => s.status !== 0);
  const statuses: Record<string, number> = {};
  for (const s of inWindow) statuses[s.status ? String(s.status) : 'none'] = (statuses[s.status ? String(s.status) : 'none'] ?? 0) + 1;
  let firstSuccessAfterBackMs: number | null = null;
  if (p.backAt !== null) {
    const ok = samples.find((s) => s.at >= p.backAt! && s.status >= 200 && s.status < 300);
    firstSuccessAfterBackMs = ok ? ok.at + ok.ms - p.backAt : null;
  }
  return {
    issued: inWindow.length,
    answered: answered.length,
    noAnswer: inWindow.length - answered.length,
    statuses,
    answerMs: summarize(answered.map((s) => s.ms)),
    overTarget: answered.filter((s) => s.ms > TARGET_MS).length,
    firstSuccessAfterBackMs,
  };
}

function timerResult(p: Phase, kind: 'warnings' | 'expiries', fired: Map<string, { warnings: number[]; expiries: number[] }>, ws: Map<string, { w: number[]; e: number[] }>): TimerResult {
  const late: number[] = [];
  const wsLate: number[] = [];
  let lost = 0;
  let doubled = 0;
  let n = 0;
  for (const d of p.deadlines) {
    const deadline = kind === 'warnings' ? d.warnAt : d.expiresAt;
    const due = p.backAt === null ? deadline : Math.max(deadline, p.backAt);
    const times = fired.get(d.sid)?.[kind] ?? [];
    n += times.length;
    if (!times.length) lost++;
    if (times.length > 1) doubled++;
    if (times[0] !== undefined) late.push(times[0] - due);
    const recv = ws.get(d.sid)?.[kind === 'warnings' ? 'w' : 'e'][0];
    if (recv !== undefined) wsLate.push(recv - due);
  }
  return {
    due: p.deadlines.length, fired: n, lost, doubled,
    lateMs: summarize(late), overTarget: late.filter((v) => v > TARGET_MS).length,
    wsLateMs: summarize(wsLate), wsReceived: wsLate.length, wsOverTarget: wsLate.filter((v) => v > TARGET_MS).length,
  };
}

/** Timer sessions for every phase, created over SPREAD_S seconds from now, each phase's warnings inside its window. */
async function createTimerSessions(stack: Stack, phases: Phase[], t0: number): Promise<void> {
  const steps = SPREAD_S * 4;
  const per = Math.floor(o.timers / steps);
  const extra = o.timers - per * steps;
  const created: Array<Array<{ sid: string }>> = phases.map(() => []);
  for (let i = 0; i < steps; i++) {
    await sleepUntil(t0 + 500 + (i * SPREAD_S * 1000) / steps);
    await Promise.all(phases.map(async (p, k) => {
      // created at ~t0 + 0.5 s + i/4 s with idle (windowStart − t0) s: the warning at ~windowStart + 0.5 s + i/4 s
      const idle = Math.round((p.windowStart - t0) / 1000);
      created[k]!.push(...(await stack.createSessions(per + (i < extra ? 1 : 0), idle, 1)));
    }));
  }
  for (const [k, p] of phases.entries()) {
    const list = created[k]!;
    for (let i = 0; i < list.length; i += 1000) {
      const pl = stack.rds.pipeline();
      for (const s of list.slice(i, i + 1000)) pl.hmget(stack.keys.session(REALM, s.sid), 'wa', 'ea');
      for (const [j, [err, v]] of ((await pl.exec()) ?? []).entries()) {
        if (err) throw err;
        const [wa, ea] = v as [string | null, string | null];
        if (wa === null || ea === null) throw new Error(`session ${list[i + j]!.sid} is missing right after creation`);
        p.deadlines.push({ sid: list[i + j]!.sid, warnAt: Number(wa), expiresAt: Number(ea) });
      }
    }
    const outside = p.deadlines.filter((d) => d.warnAt < p.windowStart || d.warnAt >= p.windowEnd).length;
    if (outside) p.notes.push(`${outside} of ${p.deadlines.length} warnings fall outside the window (creation ran late)`);
  }
}

const AOF_ARGS = (dir: string) => ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];

async function main(): Promise<void> {
  const started = Date.now();
  const loadavgAtStart = os.loadavg();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-outage-'));
  let stack: Stack | null = null;
  let restarted: BenchRedis | null = null;
  let load: Load | null = null;
  let sub: BenchSubscriber | null = null;
  const cleanUp = async () => {
    load?.stop();
    sub?.close();
    try {
      if (stack) process.kill(stack.redis.pid, 'SIGCONT'); // never leave it paused
    } catch {
      /* killed in the kill phase */
    }
    await stack?.stop().catch(() => {});
    await restarted?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    log(`outage bench: over --max-minutes ${o.maxMinutes}; stopping`);
    void cleanUp().finally(() => process.exit(2));
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  try {
    log(`outage bench: ${o.rate} requests/s over ${o.loadSessions} sessions; ${o.timers} timer sessions per phase; ${o.outage} s windows: baseline, pause${o.kill ? ', kill' : ''}; prompt ${o.prompt} s`);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(path.join(RESULTS, 'outage-server.log'), ''); // this run's only
    stack = await startStack({ name: 'outage', redisArgs: AOF_ARGS(dir) });
    const port = Number(new URL(stack.url).port);
    const adminToken = await adminLogin(stack.url, stack.adminPassword);
    const patch = await fetch(`${stack.url}/api/v1/realms/${REALM}/policy`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ expiryPromptSeconds: o.prompt }),
    });
    if (patch.status !== 200) throw new Error(`PATCH policy failed: ${patch.status} ${await patch.text()}`);
    const loadTokens = (await stack.createSessions(o.loadSessions, 3600)).map((s) => s.token);

    // the windows: each phase's expiries (prompt s after its warnings) come before the next window
    const t0 = Date.now();
    const kinds: PhaseKind[] = ['baseline', 'pause', ...(o.kill ? (['kill'] as const) : [])];
    const gap = (o.outage + o.prompt + 2) * 1000;
    const phases: Phase[] = kinds.map((kind, i) => {
      const windowStart = t0 + FIRST_WINDOW_S * 1000 + i * gap;
      return { kind, windowStart, windowEnd: windowStart + o.outage * 1000, backAt: null, deadlines: [], notes: [] };
    });
    const stream = stack.keys.events(REALM);
    const cursor0 = await streamCursor(stack.rds, stream);

    // the /ws subscriber: when each warning / expiry reached a client
    const ws = new Map<string, { w: number[]; e: number[] }>();
    sub = new BenchSubscriber(stack.wsUrl, adminToken, (events: VigilEvent[], receivedAt: number) => {
      for (const e of events) {
        if (!e.sessionId || (e.name !== 'session.warning' && e.name !== 'session.expired')) continue;
        let x = ws.get(e.sessionId);
        if (!x) ws.set(e.sessionId, (x = { w: [], e: [] }));
        (e.name === 'session.warning' ? x.w : x.e).push(receivedAt);
      }
    });
    await sub.subscribe('sessions');

    await createTimerSessions(stack, phases, t0);
    log(`created ${phases.length} × ${o.timers} timer sessions; windows start in ${phases.map((p) => ((p.windowStart - Date.now()) / 1000).toFixed(1)).join(', ')} s`);

    load = new Load(port, loadTokens, o.rate);
    await sleepUntil(phases[0]!.windowStart - 5000);
    load.start();
    for (const p of phases) {
      await sleepUntil(p.windowStart);
      if (p.kind === 'pause') {
        process.kill(stack.redis.pid, 'SIGSTOP');
        log(`pause: redis-server SIGSTOPped for ${o.outage} s`);
        await sleepUntil(p.windowEnd);
        process.kill(stack.redis.pid, 'SIGCONT');
        p.backAt = Date.now();
        log('pause: SIGCONT');
      } else if (p.kind === 'kill') {
        await stack.redis.kill();
        log(`kill: redis-server SIGKILLed; starting it again on port ${stack.redis.port} in ${o.outage} s`);
        await sleepUntil(p.windowEnd);
        const spawnAt = Date.now();
        restarted = await startRedis({ port: stack.redis.port, args: AOF_ARGS(dir) });
        // "back" is the spawn (an upper bound for lateness: it includes Redis's own start and AOF
        // load); the probe's PONG comes later than Redis can serve (ioredis waits out LOADING in 1 s steps)
        p.backAt = spawnAt;
        p.notes.push(`Redis back = the new redis-server's spawn; the bench's probe got PONG ${Date.now() - spawnAt} ms after it`);
        log(`kill: redis-server started again (pid ${restarted.pid}); probe PONG ${Date.now() - spawnAt} ms after spawn`);
      } else {
        log('baseline: window (no outage)');
      }
    }
    const last = phases[phases.length - 1]!;
    const lastExpiry = Math.max(...last.deadlines.map((d) => d.expiresAt));
    await sleepUntil(Math.max(last.windowEnd + 3000, lastExpiry + 3000));
    load.stop();
    await sleep(1000); // answers in flight (none should be: each is bounded)

    const sids = new Set(phases.flatMap((p) => p.deadlines.map((d) => d.sid)));
    const { fired } = await readFired(stack.rds, stream, cursor0, sids);
    const results: PhaseResult[] = phases.map((p) => ({
      kind: p.kind,
      window: { start: new Date(p.windowStart).toISOString(), seconds: o.outage },
      backAfterWindowStartMs: p.backAt === null ? null : p.backAt - p.windowStart,
      requests: requestResult(p, load!.samples),
      warnings: timerResult(p, 'warnings', fired, ws),
      expiries: timerResult(p, 'expiries', fired, ws),
      notes: p.notes,
    }));

    // ---- report
    const out: string[] = [''];
    out.push(`Redis outage (T11): ${o.rate} requests/s (GET /me and POST activity, open loop, keep-alive), ${o.timers} warnings due in each ${o.outage} s window, expiries ${o.prompt} s later.`);
    out.push('');
    out.push(table(['phase', 'requests in window', 'statuses', 'no answer', 'p50 ms', 'p99 ms', 'max ms', `> ${TARGET_MS / 1000} s`, 'first 2xx after return ms'], results.map((r) => [
      r.kind, r.requests.issued, Object.entries(r.requests.statuses).map(([k, v]) => `${k}:${v}`).join(' '), r.requests.noAnswer,
      fmtMs(r.requests.answerMs.p50), fmtMs(r.requests.answerMs.p99), fmtMs(r.requests.answerMs.max), r.requests.overTarget,
      r.requests.firstSuccessAfterBackMs === null ? '-' : fmtMs(r.requests.firstSuccessAfterBackMs),
    ])));
    out.push('');
    const timerRows: Array<Array<string | number>> = [];
    for (const r of results) {
      for (const kind of ['warnings', 'expiries'] as const) {
        const k = r[kind];
        timerRows.push([
          `${r.kind} ${kind === 'warnings' ? 'warning (in window)' : 'expiry (after it)'}`, k.due, k.fired, k.lost, k.doubled,
          fmtMs(k.lateMs.p50), fmtMs(k.lateMs.p99), fmtMs(k.lateMs.max), k.overTarget,
          k.wsReceived, fmtMs(k.wsLateMs.p50), fmtMs(k.wsLateMs.p99), fmtMs(k.wsLateMs.max),
        ]);
      }
    }
    out.push(table(['timers', 'due', 'fired', 'lost', 'doubled', 'late p50', 'late p99', 'late max', `> ${TARGET_MS / 1000} s`, '/ws got', '/ws p50', '/ws p99', '/ws max'], timerRows));
    out.push('  late: event time (Redis TIME, in the stream) − max(deadline, Redis back), ms; /ws: receipt by an admin subscriber − the same.');
    out.push('  Redis back: pause — SIGCONT sent; kill — the new redis-server spawned; baseline — never away (lateness vs deadline).');
    for (const r of results) if (r.notes.length) out.push(`  ${r.kind}: ${r.notes.join('; ')}`);
    if (load.skipped) out.push(`  ${load.skipped} requests not issued (over ${MAX_IN_FLIGHT} in flight)`);

    const outages = results.filter((r) => r.kind !== 'baseline');
    const requestsMet = (r: PhaseResult) => r.requests.noAnswer === 0 && r.requests.overTarget === 0 && Object.keys(r.requests.statuses).every((s) => s === '503' || /^2\d\d$/.test(s));
    const timersMet = (r: PhaseResult) => r.warnings.lost + r.warnings.doubled + r.expiries.lost + r.expiries.doubled === 0 && r.warnings.overTarget === 0 && r.expiries.overTarget === 0;
    const verdict = outages.length > 0 && outages.every((r) => requestsMet(r) && timersMet(r));
    const base = results[0]!;
    out.push('');
    for (const r of outages) {
      out.push(`Headline (${r.kind} vs baseline): slowest answer during the window ${fmtMs(r.requests.answerMs.max)} ms vs ${fmtMs(base.requests.answerMs.max)} ms; latest warning after Redis was back ${fmtMs(r.warnings.lateMs.max)} ms vs ${fmtMs(base.warnings.lateMs.max)} ms after its deadline; lost ${r.warnings.lost + r.expiries.lost} vs ${base.warnings.lost + base.expiries.lost}.`);
    }
    out.push(`T11: ${verdict ? 'met' : 'NOT met'} in this run (every request in an outage window answered ≤ ${TARGET_MS} ms with 503 or 2xx; every warning fired ≤ ${TARGET_MS} ms after Redis was back, every expiry ≤ ${TARGET_MS} ms after its deadline; none lost or doubled). ${runFooter(started, loadavgAtStart)}`);
    console.log(out.join('\n'));

    const file = path.join(RESULTS, 'outage.json');
    writeFileSync(file, JSON.stringify({
      ...runHeader('outage', loadavgAtStart),
      options: o,
      targetMs: TARGET_MS,
      process: { server: 'child process (bench/lib/server-main.ts)', redis: 'redis-server of its own, AOF fsync always', load: 'this process' },
      phases: results,
      met: verdict,
      totalSeconds: (Date.now() - started) / 1000,
    }, null, 2) + '\n');
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
