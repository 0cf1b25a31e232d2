/**
 * Restart benchmark T9 (design/BENCHMARKS.md): restart after SIGKILL with 10,000 sessions —
 * every overdue warning/expiry fired ≤ 2 s after ready; none lost, none doubled. With the
 * one-BullMQ-job-per-deadline baseline killed and restarted the same way, in the same run.
 *
 *   npx tsx bench/restart.ts [--sessions 10000] [--prompt 20] [--lead 30] [--grace 1]
 *                            [--baseline-concurrency 50] [--no-baseline] [--max-minutes 4]
 *   (every flag also reads an env var: BENCH_SESSIONS, BENCH_PROMPT, ...)
 *
 * What runs where: bench/lib/perf-stack.ts — its own redis-server (which outlives the server's
 * death), the real Vigil server in a child process (timer worker on); this process sets the
 * realm's expiryPromptSeconds through PATCH /policy as the admin and creates the sessions
 * straight through the `createSession` Lua command, their slices scheduled with the server's
 * own TimerWheel (bench/lib/perf-stack.ts createSessions).
 *
 * Vigil: `--sessions` console sessions with idle timeout `--lead` (30 s, the minimum), created
 *   as fast as they go; then SIGKILL the server at once. Every warnAt = lastActivity + lead,
 *   expiresAt = warnAt + prompt. Once every warning is overdue (last warnAt + `--grace` s, the
 *   expiries still ahead), a NEW server child starts on the same Redis and prefix; its
 *   reconcile pass and the stale slice jobs fire the overdue warnings, and the expiries then
 *   come due on schedule. Ground truth is the realm's stream (XRANGE): per session, how many
 *   session.warning and session.expired entries, and the time each was written (its `t`
 *   field, Redis TIME). A /ws admin subscriber on the new server, resuming from the stream
 *   cursor at the kill, cross-checks that the events reach clients.
 * Baseline: the same deadlines (same offsets, shifted in time), one BullMQ delayed job each,
 *   run by bench/timers.ts's `--role baseline-worker` child (XADDs the event to the same
 *   stream); the worker is SIGKILLed right after the jobs are added and a new one started at
 *   the same point (last warning + grace).
 * Lateness "vs ready" = event time − the moment the new process printed its ready line (read
 * here); "vs spawn" = event time − spawn; "vs deadline" = event time − its own deadline.
 * Everything is on one machine, so one clock. Stream entries are trimmed at ~100,000 (MAXLEN
 * in the scripts): each phase is read right after it, and --sessions above ~30,000 would
 * lose the oldest `session.started` entries (not counted here) first.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { VigilEvent } from '../shared/protocol.js';
import { adminLogin, flag, HERE, log, opt, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { startChild, type BenchChild } from './lib/child.js';
import { BenchSubscriber } from './lib/realtime.js';
import { fmtMs, runFooter, runHeader, summarize, table, type Summary } from './lib/stats.js';
import { readFired, streamCursor, type Fired } from './lib/stream.js';

const o = {
  sessions: opt('sessions', 10_000),
  prompt: opt('prompt', 20),
  lead: opt('lead', 30),
  grace: opt('grace', 1),
  baselineConcurrency: opt('baseline-concurrency', 50),
  baseline: !flag('no-baseline'),
  maxMinutes: opt('max-minutes', 4),
};
const TARGET_MS = 2000;
/** bench/timers.ts's baseline worker: its queue, its queue prefix (`<prefix>:bb`) and its job data. */
const BASELINE_QUEUE = 'bench-baseline';
interface BaselineJob {
  sid: string;
  kind: 'w' | 'e';
  at: number;
  lead: number;
  prompt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

interface Deadline {
  sid: string;
  warnAt: number;
  expiresAt: number;
}

interface PhaseResult {
  system: 'vigil' | 'baseline';
  sessions: number;
  createMs: number;
  killAt: number;
  spawnAt: number;
  readyAt: number;
  firstWarnAt: number;
  lastWarnAt: number;
  firstExpiresAt: number;
  lastExpiresAt: number;
  warnings: KindResult;
  expiries: KindResult;
  firedBeforeSpawn: number;
  leftInRedis: number | null;
  streamEntriesRead: number;
  notes: string[];
}

interface KindResult {
  expected: number;
  fired: number;
  lost: number;
  doubled: number;
  extra: number;
  vsReadyMs: Summary;
  vsSpawnMs: Summary;
  vsDeadlineMs: Summary;
  overTargetAfterReady: number;
  lastAfterReadyMs: number;
  /** First to last of them fired: how long the backlog took to drain, start-up aside. */
  drainMs: number;
}

/** First and last deadlines of a set of sessions. */
function span(deadlines: Deadline[]) {
  const warn = deadlines.map((d) => d.warnAt);
  const exp = deadlines.map((d) => d.expiresAt);
  return { firstWarnAt: Math.min(...warn), lastWarnAt: Math.max(...warn), firstExpiresAt: Math.min(...exp), lastExpiresAt: Math.max(...exp) };
}

function kindResult(deadlines: Deadline[], fired: Map<string, Fired>, kind: 'warnings' | 'expiries', spawnAt: number, readyAt: number): KindResult {
  const vsReady: number[] = [];
  const vsSpawn: number[] = [];
  const vsDeadline: number[] = [];
  let lost = 0;
  let doubled = 0;
  let extra = 0;
  let n = 0;
  for (const d of deadlines) {
    const times = fired.get(d.sid)?.[kind] ?? [];
    if (!times.length) lost++;
    if (times.length > 1) {
      doubled++;
      extra += times.length - 1;
    }
    n += times.length;
    const t = times[0];
    if (t === undefined) continue; // the first one counts for lateness; doubles are counted above
    vsReady.push(t - readyAt);
    vsSpawn.push(t - spawnAt);
    vsDeadline.push(t - (kind === 'warnings' ? d.warnAt : d.expiresAt));
  }
  const r = summarize(vsReady);
  return {
    expected: deadlines.length, fired: n, lost, doubled, extra,
    vsReadyMs: r, vsSpawnMs: summarize(vsSpawn), vsDeadlineMs: summarize(vsDeadline),
    overTargetAfterReady: vsReady.filter((v) => v > TARGET_MS).length, lastAfterReadyMs: r.max, drainMs: r.max - r.min,
  };
}

/**
 * Waits until the last expiry is past and the stream has grown by `expectNew` entries (or
 * 15 s past the last expiry), then reads the ground truth.
 */
async function collect(r: Redis, key: string, from: string, lenAtKill: number, expectNew: number, lastExpiresAt: number, sids: Set<string>): Promise<{ fired: Map<string, Fired>; entries: number }> {
  await sleepUntil(lastExpiresAt + 1000);
  let lastLog = 0;
  for (;;) {
    const grown = Number(await r.xlen(key)) - lenAtKill;
    if (grown >= expectNew || Date.now() > lastExpiresAt + 15_000) break;
    if (Date.now() - lastLog > 3000) {
      lastLog = Date.now();
      log(`  waiting for the stream: ${grown}/${expectNew} new entries`);
    }
    await sleep(250);
  }
  await sleep(500); // anything doubled right behind the last one
  return readFired(r, key, from, sids);
}

// ---------------------------------------------------------------- Vigil

async function runVigil(stack: Stack, adminToken: string): Promise<{ result: PhaseResult; ws: Record<string, unknown>; deadlines: Deadline[] }> {
  const stream = stack.keys.events(REALM);
  const notes: string[] = [];
  const cursor0 = await streamCursor(stack.rds, stream);
  const t0 = Date.now();
  const created = await stack.createSessions(o.sessions, o.lead);
  const createMs = Date.now() - t0;
  await stack.server!.kill();
  const killAt = Date.now();
  log(`Vigil: created ${created.length} console sessions (idle ${o.lead} s) in ${(createMs / 1000).toFixed(1)} s (${Math.round(created.length / (createMs / 1000))}/s); server SIGKILLed`);

  // the deadlines as stored (the server is dead: nothing moves them)
  const deadlines: Deadline[] = [];
  for (let i = 0; i < created.length; i += 1000) {
    const p = stack.rds.pipeline();
    for (const s of created.slice(i, i + 1000)) p.hmget(stack.keys.session(REALM, s.sid), 'wa', 'ea');
    const res = (await p.exec()) ?? [];
    res.forEach(([err, v], j) => {
      if (err) throw err;
      const [wa, ea] = v as [string | null, string | null];
      if (wa === null || ea === null) throw new Error(`session ${created[i + j]!.sid} is missing right after creation`);
      deadlines.push({ sid: created[i + j]!.sid, warnAt: Number(wa), expiresAt: Number(ea) });
    });
  }
  const sids = new Set(deadlines.map((d) => d.sid));
  const { firstWarnAt, lastWarnAt, firstExpiresAt, lastExpiresAt } = span(deadlines);
  const cursorKill = await streamCursor(stack.rds, stream);
  const lenAtKill = Number(await stack.rds.xlen(stream));
  const restartAt = lastWarnAt + o.grace * 1000;
  if (firstWarnAt <= killAt) notes.push(`the first warning (${firstWarnAt - killAt} ms vs the kill) came due before the server was killed`);
  if (restartAt >= firstExpiresAt) notes.push(`creation took too long for --prompt ${o.prompt}: the restart (${restartAt - firstExpiresAt} ms after the first expiry) comes after some expiries are due`);
  log(`Vigil: warnings due ${((firstWarnAt - Date.now()) / 1000).toFixed(1)}–${((lastWarnAt - Date.now()) / 1000).toFixed(1)} s from now, expiries ${((firstExpiresAt - Date.now()) / 1000).toFixed(1)}–${((lastExpiresAt - Date.now()) / 1000).toFixed(1)} s; restart in ${((restartAt - Date.now()) / 1000).toFixed(1)} s`);

  await sleepUntil(restartAt);
  const { child, wsUrl } = await stack.startServer();
  log(`Vigil: new server child pid ${child.pid} ready ${child.readyAt - child.spawnedAt} ms after spawn`);

  // cross-check over /ws: resume from the cursor at the kill, so what fired during start-up counts too
  const wsSeen = new Map<string, { w: number; e: number }>();
  const wsWarnRecv: number[] = [];
  const onEvents = (events: VigilEvent[], receivedAt: number) => {
    for (const e of events) {
      const kind = e.name === 'session.warning' ? 'w' : e.name === 'session.expired' ? 'e' : null;
      if (!kind || !e.sessionId || !sids.has(e.sessionId)) continue;
      let x = wsSeen.get(e.sessionId);
      if (!x) wsSeen.set(e.sessionId, (x = { w: 0, e: 0 }));
      x[kind]++;
      if (kind === 'w' && x.w === 1) wsWarnRecv.push(receivedAt - child.readyAt);
    }
  };
  const sub = new BenchSubscriber(wsUrl, adminToken, onEvents);
  let how: string = 'not connected';
  try {
    how = await Promise.race([sub.resume('sessions', cursorKill), sleep(20_000).then(() => 'no answer in 20 s')]);
  } catch (err) {
    how = `failed: ${(err as Error).message}`;
  }
  log(`Vigil: /ws subscriber resumed from the kill cursor: ${how}`);

  const { fired, entries } = await collect(stack.rds, stream, cursorKill, lenAtKill, 2 * deadlines.length, lastExpiresAt, sids);
  // anything written for these sessions between their creation and the restart (there should be none)
  const before = await readFired(stack.rds, stream, cursor0, sids);
  let firedBeforeSpawn = 0;
  for (const x of before.fired.values()) firedBeforeSpawn += [...x.warnings, ...x.expiries].filter((t) => t < child.spawnedAt).length;
  let left = 0;
  for (let i = 0; i < deadlines.length; i += 1000) {
    const p = stack.rds.pipeline();
    for (const d of deadlines.slice(i, i + 1000)) p.exists(stack.keys.session(REALM, d.sid));
    for (const [, v] of (await p.exec()) ?? []) left += Number(v);
  }
  sub.close();

  let wsW = 0, wsE = 0, wsDup = 0;
  for (const x of wsSeen.values()) {
    wsW += Math.min(1, x.w);
    wsE += Math.min(1, x.e);
    wsDup += Math.max(0, x.w - 1) + Math.max(0, x.e - 1);
  }
  const ws = { resume: how, warnings: wsW, expiries: wsE, duplicates: wsDup, warningReceiptVsReadyMs: summarize(wsWarnRecv), stats: sub.stats };
  await child.stop();
  return {
    result: {
      system: 'vigil', sessions: deadlines.length, createMs, killAt, spawnAt: child.spawnedAt, readyAt: child.readyAt,
      firstWarnAt, lastWarnAt, firstExpiresAt, lastExpiresAt,
      warnings: kindResult(deadlines, fired, 'warnings', child.spawnedAt, child.readyAt),
      expiries: kindResult(deadlines, fired, 'expiries', child.spawnedAt, child.readyAt),
      firedBeforeSpawn, leftInRedis: left, streamEntriesRead: entries, notes,
    },
    ws,
    deadlines,
  };
}

// ---------------------------------------------------------------- baseline

async function runBaseline(stack: Stack, vigil: PhaseResult, vigilDeadlines: Deadline[]): Promise<PhaseResult> {
  const stream = stack.keys.events(REALM);
  const notes: string[] = [];
  const logFile = path.join(RESULTS, 'restart-baseline.log');
  writeFileSync(logFile, '');
  const workerOpts = {
    entry: path.join(HERE, 'timers.ts'), args: ['--role', 'baseline-worker'], readyMarker: 'BASELINE_READY', logFile,
    env: { REDIS_URL: stack.redis.url, BENCH_PREFIX: stack.prefix, BENCH_BASELINE_CONCURRENCY: String(o.baselineConcurrency) },
  };
  let worker: BenchChild | null = await startChild(workerOpts);
  const conn = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue<BaselineJob>(BASELINE_QUEUE, { connection: conn, prefix: `${stack.prefix}:bb` });
  try {
    // the same deadlines as Vigil's, shifted so that their offsets from the start of adding are the same
    const t0 = Date.now();
    const shift = t0 - (vigil.firstWarnAt - o.lead * 1000);
    const deadlines: Deadline[] = vigilDeadlines.map((d, i) => ({ sid: `b_${i}`, warnAt: d.warnAt + shift, expiresAt: d.expiresAt + shift }));
    const sids = new Set(deadlines.map((d) => d.sid));
    const cursor0 = await streamCursor(stack.rds, stream);
    for (let i = 0; i < deadlines.length; i += 500) {
      const now = Date.now();
      const jobs = deadlines.slice(i, i + 500).flatMap((d) => [
        { sid: d.sid, kind: 'w' as const, at: d.warnAt, lead: o.lead, prompt: o.prompt },
        { sid: d.sid, kind: 'e' as const, at: d.expiresAt, lead: o.lead, prompt: o.prompt },
      ]);
      await queue.addBulk(jobs.map((j) => ({ name: 'deadline', data: j, opts: { delay: Math.max(0, j.at - now), removeOnComplete: true, removeOnFail: true } })));
    }
    const createMs = Date.now() - t0;
    await worker.kill();
    const killAt = Date.now();
    log(`baseline: added ${deadlines.length * 2} delayed jobs (one per deadline) in ${(createMs / 1000).toFixed(1)} s; worker SIGKILLed`);
    const { firstWarnAt, lastWarnAt, firstExpiresAt, lastExpiresAt } = span(deadlines);
    const cursorKill = await streamCursor(stack.rds, stream);
    const lenAtKill = Number(await stack.rds.xlen(stream));
    const restartAt = lastWarnAt + o.grace * 1000;
    if (firstWarnAt <= killAt) notes.push('the first warning came due before the worker was killed');
    if (restartAt >= firstExpiresAt) notes.push('the restart comes after some expiries are due');
    await sleepUntil(restartAt);
    worker = await startChild(workerOpts);
    log(`baseline: new worker child pid ${worker.pid} ready ${worker.readyAt - worker.spawnedAt} ms after spawn`);
    const { fired, entries } = await collect(stack.rds, stream, cursorKill, lenAtKill, 2 * deadlines.length, lastExpiresAt, sids);
    const before = await readFired(stack.rds, stream, cursor0, sids);
    let firedBeforeSpawn = 0;
    for (const x of before.fired.values()) firedBeforeSpawn += [...x.warnings, ...x.expiries].filter((t) => t < worker!.spawnedAt).length;
    const counts = await queue.getJobCounts('delayed', 'wait', 'active', 'failed');
    const leftInRedis = (counts.delayed ?? 0) + (counts.wait ?? 0) + (counts.active ?? 0);
    return {
      system: 'baseline', sessions: deadlines.length, createMs, killAt, spawnAt: worker.spawnedAt, readyAt: worker.readyAt,
      firstWarnAt, lastWarnAt, firstExpiresAt, lastExpiresAt,
      warnings: kindResult(deadlines, fired, 'warnings', worker.spawnedAt, worker.readyAt),
      expiries: kindResult(deadlines, fired, 'expiries', worker.spawnedAt, worker.readyAt),
      firedBeforeSpawn, leftInRedis, streamEntriesRead: entries, notes,
    };
  } finally {
    await queue.close().catch(() => {});
    conn.disconnect();
    await worker?.stop().catch(() => {});
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const loadavgAtStart = os.loadavg();
  let stack: Stack | null = null;
  const watchdog = setTimeout(() => {
    log(`restart bench: over --max-minutes ${o.maxMinutes}; stopping`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(2));
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  try {
    writeFileSync(path.join(RESULTS, 'restart-server.log'), '');
  } catch {
    /* the results folder is made by startStack */
  }
  try {
    log(`restart bench: ${o.sessions} console sessions, idle ${o.lead} s, prompt ${o.prompt} s, restart ${o.grace} s after the last warning; baseline ${o.baseline ? `on (concurrency ${o.baselineConcurrency})` : 'off'}`);
    stack = await startStack({ name: 'restart' });
    const adminToken = await adminLogin(stack.url, stack.adminPassword);
    const patch = await fetch(`${stack.url}/api/v1/realms/${REALM}/policy`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ expiryPromptSeconds: o.prompt }),
    });
    if (patch.status !== 200) throw new Error(`PATCH policy failed: ${patch.status} ${await patch.text()}`);

    const { result: vigil, ws, deadlines } = await runVigil(stack, adminToken);
    log(`Vigil done: warnings ${vigil.warnings.fired}/${vigil.sessions}, expiries ${vigil.expiries.fired}/${vigil.sessions}`);
    // the baseline replays Vigil's own deadlines, shifted in time
    let baseline: PhaseResult | null = null;
    if (o.baseline) {
      baseline = await runBaseline(stack, vigil, deadlines);
      log(`baseline done: warnings ${baseline.warnings.fired}/${baseline.sessions}, expiries ${baseline.expiries.fired}/${baseline.sessions}`);
    }

    // ---- report
    const phases = [vigil, ...(baseline ? [baseline] : [])];
    const rows: Array<Array<string | number>> = [];
    for (const p of phases) {
      for (const kind of ['warnings', 'expiries'] as const) {
        const k = p[kind];
        const overdue = kind === 'warnings';
        rows.push([
          `${p.system} ${kind === 'warnings' ? 'warning (overdue)' : 'expiry (on time)'}`, k.expected, k.fired, k.lost, k.doubled,
          overdue ? fmtMs(k.vsReadyMs.p50) : '-', overdue ? fmtMs(k.vsReadyMs.p99) : '-', overdue ? fmtMs(k.vsReadyMs.max) : '-', overdue ? k.overTargetAfterReady : '-',
          overdue ? fmtMs(k.vsSpawnMs.max) : '-', overdue ? fmtMs(k.drainMs) : '-',
          fmtMs(k.vsDeadlineMs.p50), fmtMs(k.vsDeadlineMs.p99), fmtMs(k.vsDeadlineMs.max),
        ]);
      }
    }
    const out: string[] = [];
    out.push('');
    out.push(`Restart after SIGKILL (T9): ${o.sessions} console sessions, warnings overdue at the restart, expiries ${o.prompt} s later. Event time from the stream (ms).`);
    for (const p of phases) {
      out.push(`  ${p.system.padEnd(8)}: created ${p.sessions} in ${(p.createMs / 1000).toFixed(1)} s; SIGKILL → spawn ${((p.spawnAt - p.killAt) / 1000).toFixed(1)} s; spawn → ready ${p.readyAt - p.spawnAt} ms; restart ${p.spawnAt - p.lastWarnAt} ms after the last warnAt, ${p.firstExpiresAt - p.spawnAt} ms before the first expiresAt; fired before spawn ${p.firedBeforeSpawn}; left in Redis ${p.leftInRedis}${p.notes.length ? `; NOTE ${p.notes.join('; ')}` : ''}`);
    }
    out.push('');
    out.push(table(['deadline', 'expected', 'fired', 'lost', 'doubled', 'p50 vs ready', 'p99 vs ready', 'max vs ready', `> ${TARGET_MS / 1000} s after ready`, 'max vs spawn', 'drain', 'p50 vs deadline', 'p99 vs deadline', 'max vs deadline'], rows));
    out.push(`  vs ready / vs spawn: event time − when the new process printed its ready line / was spawned (negative: fired during start-up, before ready); drain: first → last overdue one fired.`);
    out.push(`  lost: sessions with no such event; doubled: sessions with more than one. Target: overdue ones ≤ ${TARGET_MS} ms after ready, none lost, none doubled.`);
    const wsRecv = ws.warningReceiptVsReadyMs as Summary;
    out.push(`  /ws cross-check (admin, resumed from the kill cursor on the new server: ${ws.resume}): warnings ${ws.warnings}/${vigil.sessions}, expiries ${ws.expiries}/${vigil.sessions}, duplicates ${ws.duplicates}; warning receipt vs ready p50 ${fmtMs(wsRecv.p50)} / max ${fmtMs(wsRecv.max)} ms.`);
    let ratio: Record<string, number> | null = null;
    if (baseline) {
      const r = (b: number, v: number) => (v > 0 ? b / v : NaN);
      ratio = {
        drain: r(baseline.warnings.drainMs, vigil.warnings.drainMs),
        lastOverdueVsSpawn: r(baseline.warnings.vsSpawnMs.max, vigil.warnings.vsSpawnMs.max),
        p99OverdueVsSpawn: r(baseline.warnings.vsSpawnMs.p99, vigil.warnings.vsSpawnMs.p99),
      };
      out.push('');
      out.push(`Headline: the last overdue warning fired ${fmtMs(vigil.warnings.vsReadyMs.max)} ms after ready for Vigil vs ${fmtMs(baseline.warnings.vsReadyMs.max)} ms for one BullMQ job per deadline.`);
      out.push(`  baseline ÷ Vigil: drain ${ratio.drain!.toFixed(1)}x; from spawn ${ratio.lastOverdueVsSpawn!.toFixed(1)}x (last), ${ratio.p99OverdueVsSpawn!.toFixed(1)}x (p99) — spawn → ready differs: the Vigil server loads the whole app, the baseline worker only BullMQ.`);
    }
    out.push('TrueNAS: sessions do not survive a restart (anchor, not run)');
    const verdict = vigil.warnings.lost + vigil.expiries.lost + vigil.warnings.doubled + vigil.expiries.doubled === 0 && vigil.warnings.overTargetAfterReady === 0 && vigil.warnings.fired > 0;
    out.push(`T9 (Vigil): ${verdict ? 'met' : 'NOT met'} in this run. ${runFooter(started, loadavgAtStart)}`);
    console.log(out.join('\n'));

    const file = path.join(RESULTS, 'restart.json');
    writeFileSync(file, JSON.stringify({
      ...runHeader('restart', loadavgAtStart),
      options: o,
      targetMs: TARGET_MS,
      process: { server: 'child process (bench/lib/server-main.ts), SIGKILLed and started again', baselineWorker: 'child process (bench/timers.ts --role baseline-worker), SIGKILLed and started again', client: 'this process' },
      vigil,
      baseline,
      ratioBaselineOverVigil: ratio,
      ws,
      anchor: 'TrueNAS: sessions do not survive a restart (not run)',
      met: verdict,
      totalSeconds: (Date.now() - started) / 1000,
    }, null, 2) + '\n');
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await stack?.stop();
    clearTimeout(watchdog);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
