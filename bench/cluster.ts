/**
 * T13 (design/BENCHMARKS.md): T1 (timer lateness at `--sessions` live sessions) and T3
 * (WebSocket activity ingest) on a 3-master Redis Cluster, beside standalone Redis in the same
 * run; plus what one realm's single hash slot bounds (T3 with every socket in one realm vs
 * spread over three realms on three masters, and the touch-session script's ceiling on one
 * master vs three at once).
 *
 *   npx tsx bench/cluster.ts [--sessions 100000] [--rate 1000] [--seconds 10] [--lead 30] [--prompt 5]
 *                            [--sockets 1000] [--window 20] [--ws-seconds 10] [--warmup 3] [--socket-rate 30]
 *                            [--replicas 0] [--ceiling-n 100000] [--max-minutes 15]
 *   (every flag also reads an env var: BENCH_SESSIONS, BENCH_RATE, ...)
 *
 * What runs where: standalone, a private redis-server (bench/lib/redis.ts); cluster, a real
 * 3-master cluster on loopback from test/helpers/topology.ts (`--replicas` per master, default
 * 0: a replica on this same 2-core machine would only take CPU from the masters; the failover
 * tests cover replicas). For each, the real Vigil server in a child process (bench/lib/perf-stack.ts,
 * REDIS_URL = the seeds and VIGIL_REDIS_MODE=cluster on the cluster), and this process as the
 * load generator and measuring client. Both modes run the same steps one after the other:
 *
 * T1: `--sessions` live sessions: background ones (idle 1–1.5 h) created in bulk, then
 *     `--rate`/2 console sessions a second for `--seconds`, each with idle timeout `--lead`,
 *     so `--rate` deadlines a second come due (warnings, then expiries `--prompt` s later).
 *     Lateness = receipt on a `sessions` subscriber over /ws − the deadline the event carries
 *     (as bench/timers.ts measures it).
 * T3: `--sockets` /ws sockets sending activity windows (bench/lib/ws-ingest.ts, as bench/ingest.ts),
 *     counted as EVALSHA calls in INFO commandstats summed over the masters; once with every
 *     socket in realm `default`, once spread over `default` and two realms whose `{realm}`
 *     slots are on the two other masters (on standalone: the same three realms, one Redis).
 * Ceiling: redis-benchmark EVALSHA of touch-session (the WS activity script) on a real
 *     session, against the master owning the realm's slot: one realm alone, then the three
 *     realms' masters at once (three redis-benchmark processes).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { defineCommands } from '../server/redis/scripts.js';
import { RealmStore } from '../server/realms/store.js';
import { UserStore } from '../server/users/store.js';
import type { VigilEvent } from '../shared/protocol.js';
import { startCluster, type TestCluster } from '../test/helpers/topology.js';
import { adminLogin, CpuWindow, log, loadedSha, opt, paced, redisBenchmark, redisPid, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { BenchSubscriber } from './lib/realtime.js';
import { fmtMs, runFooter, runHeader, summarize, table, type Summary } from './lib/stats.js';
import { DEFAULT_SOCKET_RATE, idleRate, runWs, type RunResult } from './lib/ws-ingest.js';

const o = {
  sessions: opt('sessions', 100_000),
  rate: opt('rate', 1000),
  seconds: opt('seconds', 10),
  lead: opt('lead', 30),
  prompt: opt('prompt', 5),
  sockets: opt('sockets', 1000),
  window: opt('window', 20),
  wsSeconds: opt('ws-seconds', 10),
  warmup: opt('warmup', 3),
  socketRate: opt('socket-rate', DEFAULT_SOCKET_RATE),
  replicas: opt('replicas', 0),
  ceilingN: opt('ceiling-n', 100_000),
  maxMinutes: opt('max-minutes', 15),
};
type Mode = 'standalone' | 'cluster';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- T1

interface T1Result {
  liveSessions: number;
  expected: number;
  received: number;
  missing: number;
  duplicates: number;
  lateMs: Summary;
  fireLateMs: Summary;
  backgroundCreatePerSec: number;
  /** used_memory summed over the masters, after the T1 sessions exist minus before any, ÷ the sessions made (their events' share included). */
  redisBytesPerSession: number;
  cpu: Record<string, number>;
}

async function usedMemory(stack: Stack): Promise<number> {
  let n = 0;
  for (const r of stack.masters()) n += Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
  return n;
}

async function runT1(stack: Stack, cpu: CpuWindow): Promise<T1Result> {
  await new RealmStore(stack.rds, stack.keys).patch(REALM, { expiryPromptSeconds: o.prompt });
  const users = new UserStore(stack.rds, stack.keys);
  const admin = await users.byUsername(REALM, 'admin');
  if (!admin) throw new Error('bootstrap made no admin');
  await users.setTokenLifetime(REALM, admin.id, 86_400); // the watcher outlives the run
  const token = await adminLogin(stack.url, stack.adminPassword);

  const t1 = new Set<string>();
  const seen = new Set<string>();
  const late: number[] = [];
  const fire: number[] = [];
  let duplicates = 0;
  const sub = new BenchSubscriber(stack.wsUrl, token, (events: VigilEvent[], receivedAt: number) => {
    for (const e of events) {
      const warning = e.name === 'session.warning';
      if ((!warning && e.name !== 'session.expired') || !e.sessionId || !t1.has(e.sessionId)) continue;
      const k = `${e.sessionId}|${e.name}`;
      if (seen.has(k)) {
        duplicates++;
        continue;
      }
      seen.add(k);
      const due = Date.parse(warning ? e.session!.warnAt : e.session!.expiresAt);
      late.push(receivedAt - due);
      fire.push(Date.parse(e.at) - due);
    }
  });
  try {
    await sub.subscribe('sessions');
    const t1Sessions = Math.round((o.rate / 2) * o.seconds);
    const background = Math.max(0, o.sessions - t1Sessions);
    const mem0 = await usedMemory(stack);
    const tb = Date.now();
    await stack.createSessions(background, (i) => 3600 + (i % 1800));
    const backgroundCreatePerSec = background / ((Date.now() - tb) / 1000);
    log(`T1: ${background} background sessions in ${((Date.now() - tb) / 1000).toFixed(1)} s; pacing ${t1Sessions} sessions at ${o.rate / 2}/s, due ${o.lead} s later`);
    // paced: rate/2 sessions a second, each due `lead` s later (then +prompt)
    const start = Date.now();
    await paced(start, t1Sessions, o.rate / 2, async (n) => {
      for (const s of await stack.createSessions(n, o.lead, 1)) t1.add(s.sid);
    });
    const liveSessions = await stack.rds.zcard(stack.keys.deadlines(REALM));
    const redisBytesPerSession = ((await usedMemory(stack)) - mem0) / (background + t1Sessions);
    const until = Date.now() + (o.lead + o.prompt + 15) * 1000;
    await sleep(Math.max(0, start + o.lead * 1000 - 300 - Date.now()));
    cpu.start();
    let lastLog = 0;
    while (seen.size < t1Sessions * 2 && Date.now() < until) {
      await sleep(200);
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`T1: ${seen.size}/${t1Sessions * 2} events received`);
      }
    }
    return {
      liveSessions, expected: t1Sessions * 2, received: seen.size, missing: t1Sessions * 2 - seen.size, duplicates,
      lateMs: summarize(late), fireLateMs: summarize(fire), backgroundCreatePerSec, redisBytesPerSession, cpu: cpu.stop(),
    };
  } finally {
    sub.close();
  }
}

// ---------------------------------------------------------------- T3, one realm and three

async function runT3(stack: Stack, cpu: CpuWindow, realms: string[]): Promise<{ oneRealm: RunResult; threeRealms: RunResult; idleEvalshaPerSec: number }> {
  for (const r of realms) if (r !== REALM) await stack.addRealm(r);
  const load = { sockets: o.sockets, window: o.window, warmup: o.warmup, seconds: o.wsSeconds, socketRate: o.socketRate };
  const one = (await stack.createSessions(o.sockets, 3600)).map((s) => s.token);
  const per = Math.ceil(o.sockets / realms.length);
  const byRealm = await Promise.all(realms.map((r) => stack.createSessions(per, 3600, 1, r)));
  const tokens: string[] = [];
  const tokenRealms: string[] = [];
  for (let i = 0; i < per; i++) {
    realms.forEach((r, k) => {
      tokens.push(byRealm[k]![i]!.token);
      tokenRealms.push(r);
    });
  }
  await sleep(2000); // T1's last expiries settle
  const idle = await idleRate(stack);
  log(`T3: idle EVALSHA rate ${idle.toFixed(1)}/s (subtracted)`);
  const oneRealm = await runWs(stack, load, one, cpu, idle);
  log(`T3 one realm: ${Math.round(oneRealm.serverPerSec)}/s`);
  await sleep(1000);
  const threeRealms = await runWs(stack, load, tokens, cpu, idle, tokenRealms);
  log(`T3 ${realms.length} realms: ${Math.round(threeRealms.serverPerSec)}/s`);
  return { oneRealm, threeRealms, idleEvalshaPerSec: idle };
}

// ---------------------------------------------------------------- ceiling

/** touch-session's EVALSHA rate from redis-benchmark on the Redis owning `realm`'s slot, for each realm at once. */
async function ceilings(stack: Stack, urlFor: (realm: string) => Promise<string>, realms: string[]): Promise<number[]> {
  const runs = await Promise.all(realms.map(async (realm) => {
    const url = await urlFor(realm);
    const plain = defineCommands(new Redis(url));
    try {
      const sha = await loadedSha(plain, 'touchSession');
      const [s] = await stack.createSessions(1, 3600, 1, realm);
      const keys = stack.keys.script.touchSession(realm, s!.sid);
      return { port: Number(new URL(url).port), args: ['EVALSHA', sha, String(keys.length), ...keys, s!.sid, 'ws'] };
    } finally {
      plain.disconnect();
    }
  }));
  return Promise.all(runs.map((r) => redisBenchmark(r.port, r.args, { n: o.ceilingN, c: 50, P: 16 })));
}

// ---------------------------------------------------------------- one mode

interface ModeResult {
  mode: Mode;
  masters: number;
  realms: Array<{ realm: string; masterPort: number }>;
  t1: T1Result;
  t3: Awaited<ReturnType<typeof runT3>>;
  ceilingOneRealm: number;
  ceilingThreeRealmsAtOnce: number[];
}

async function runMode(mode: Mode, cluster: TestCluster | null, realms: string[]): Promise<ModeResult> {
  log(`==== ${mode}`);
  const stack = await startStack({ name: `cluster-${mode}`, ...(cluster ? { redis: { mode: 'cluster' as const, urls: cluster.urls } } : {}) });
  try {
    const masters = stack.masters();
    const redisPids = await Promise.all(masters.map(redisPid));
    const cpu = new CpuWindow({ server: stack.server!.pid, ...Object.fromEntries(redisPids.map((p, i) => [`redis${i}`, p])), loadgen: process.pid });
    const t1 = await runT1(stack, cpu);
    log(`T1 ${mode}: p50 ${fmtMs(t1.lateMs.p50)} p99 ${fmtMs(t1.lateMs.p99)} max ${fmtMs(t1.lateMs.max)} ms, missing ${t1.missing}`);
    const t3 = await runT3(stack, cpu, realms);
    const urlFor = async (realm: string) => (cluster ? (await cluster.masterFor(`{${realm}}`)).url : stack.redis.url);
    const [ceilingOneRealm] = await ceilings(stack, urlFor, realms.slice(0, 1));
    const ceilingThreeRealmsAtOnce = await ceilings(stack, urlFor, realms);
    log(`ceiling ${mode}: one realm ${Math.round(ceilingOneRealm!)}/s; ${realms.length} at once ${ceilingThreeRealmsAtOnce.map(Math.round).join(' + ')}`);
    const realmPorts = await Promise.all(realms.map(async (realm) => ({ realm, masterPort: Number(new URL(await urlFor(realm)).port) })));
    return { mode, masters: masters.length, realms: realmPorts, t1, t3, ceilingOneRealm: ceilingOneRealm!, ceilingThreeRealmsAtOnce };
  } finally {
    await stack.stop();
  }
}

/** `default` and two more realm names whose `{realm}` slots are on the two other masters. */
async function realmsOnDistinctMasters(cluster: TestCluster): Promise<string[]> {
  const picked = new Map<number, string>([[(await cluster.masterFor(`{${REALM}}`)).port, REALM]]);
  for (let i = 0; picked.size < 3; i++) {
    if (i > 200) throw new Error('no realm names found on three masters');
    const port = (await cluster.masterFor(`{realm-${i}}`)).port;
    if (!picked.has(port)) picked.set(port, `realm-${i}`);
  }
  return [...picked.values()];
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const loadavgAtStart = os.loadavg();
  let cluster: TestCluster | null = null;
  const watchdog = setTimeout(() => {
    log(`cluster bench: over --max-minutes ${o.maxMinutes}; stopping`);
    void Promise.resolve(cluster?.stop()).finally(() => process.exit(2));
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  try {
    cluster = await startCluster({ masters: 3, replicasPerMaster: o.replicas });
    const realms = await realmsOnDistinctMasters(cluster);
    log(`cluster: ${cluster.urls.length} nodes (3 masters, ${o.replicas} replica(s) each); realms ${realms.join(', ')} on three masters`);
    const standalone = await runMode('standalone', null, realms);
    const clustered = await runMode('cluster', cluster, realms);

    // ---- report: cost factor = how many times worse the cluster is (latency ÷, throughput ×)
    const worse = (s: number, c: number, higherIsBetter: boolean) => (higherIsBetter ? s / c : c / s);
    const row = (what: string, s: number, c: number, higherIsBetter: boolean, fmt: (v: number) => string, target: string) =>
      [what, fmt(s), fmt(c), `${worse(s, c, higherIsBetter).toFixed(2)}×`, target];
    const rate = (v: number) => String(Math.round(v));
    const S = standalone;
    const C = clustered;
    const rows = [
      row('T1 lateness p50 (ms)', S.t1.lateMs.p50, C.t1.lateMs.p50, false, fmtMs, '≤ 1.5×'),
      row('T1 lateness p99 (ms)', S.t1.lateMs.p99, C.t1.lateMs.p99, false, fmtMs, '≤ 1.5×'),
      row('T1 lateness max (ms)', S.t1.lateMs.max, C.t1.lateMs.max, false, fmtMs, ''),
      ['T1 missing / duplicates', `${S.t1.missing} / ${S.t1.duplicates}`, `${C.t1.missing} / ${C.t1.duplicates}`, '', 'none'],
      ['T1 live sessions', S.t1.liveSessions, C.t1.liveSessions, '', ''],
      row('T3 WS activity /s, 1 realm', S.t3.oneRealm.serverPerSec, C.t3.oneRealm.serverPerSec, true, rate, '≤ 1.5×'),
      row(`T3 WS activity /s, ${realms.length} realms`, S.t3.threeRealms.serverPerSec, C.t3.threeRealms.serverPerSec, true, rate, ''),
      ['T3 errors / sockets closed', `${S.t3.oneRealm.errors + S.t3.threeRealms.errors} / ${(S.t3.oneRealm.socketsClosed ?? 0) + (S.t3.threeRealms.socketsClosed ?? 0)}`, `${C.t3.oneRealm.errors + C.t3.threeRealms.errors} / ${(C.t3.oneRealm.socketsClosed ?? 0) + (C.t3.threeRealms.socketsClosed ?? 0)}`, '', 'none'],
      row('T3 ack p99 (ms), 1 realm', S.t3.oneRealm.latencyMs?.p99 ?? NaN, C.t3.oneRealm.latencyMs?.p99 ?? NaN, false, fmtMs, ''),
      row('Redis bytes per session', S.t1.redisBytesPerSession, C.t1.redisBytesPerSession, false, rate, ''),
      row('bulk session creation /s', S.t1.backgroundCreatePerSec, C.t1.backgroundCreatePerSec, true, rate, ''),
    ];
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const cpuOf = (r: Record<string, number>) => `${r.server}/${Math.round(sum(Object.entries(r).filter(([k]) => k.startsWith('redis')).map(([, v]) => v)) * 100) / 100}/${r.loadgen}`;
    const out: string[] = [];
    out.push('');
    out.push(`T13 — Redis Cluster (3 masters, ${o.replicas} replica(s) each, one machine) beside standalone Redis, same run. ${os.cpus().length} CPUs shared by Redis, Vigil and the load generator.`);
    out.push(`T1: ${o.sessions} live sessions, ${o.rate} deadlines/s for ${o.seconds} s (lead ${o.lead} s, prompt ${o.prompt} s). T3: ${o.sockets} sockets × window ${o.window} (at most ${o.socketRate}/s each: the load offers at most ${o.sockets * o.socketRate}/s), ${o.wsSeconds} s after ${o.warmup} s warm-up.`);
    out.push(table(['measure', 'standalone', 'cluster', 'cluster cost', 'target'], rows));
    out.push('  cluster cost: cluster ÷ standalone for latency, standalone ÷ cluster for rates (1.00× = no cost; the T13 target is ≤ 1.5×).');
    out.push(`  CPU cores srv/redis(all)/gen — T1: standalone ${cpuOf(S.t1.cpu)}, cluster ${cpuOf(C.t1.cpu)}; T3 1 realm: standalone ${cpuOf(S.t3.oneRealm.cpu)}, cluster ${cpuOf(C.t3.oneRealm.cpu)}; T3 ${realms.length} realms: standalone ${cpuOf(S.t3.threeRealms.cpu)}, cluster ${cpuOf(C.t3.threeRealms.cpu)}.`);
    out.push('');
    out.push('What one realm\'s slot bounds: touch-session (the WS activity script) EVALSHA from redis-benchmark (50 clients, pipeline 16) on the Redis owning the realm:');
    out.push(table(['', 'standalone', 'cluster'], [
      [`one realm (${realms[0]}) alone /s`, rate(S.ceilingOneRealm), rate(C.ceilingOneRealm)],
      [`${realms.length} realms at once, sum /s`, rate(sum(S.ceilingThreeRealmsAtOnce)), rate(sum(C.ceilingThreeRealmsAtOnce))],
      ['  per realm /s', S.ceilingThreeRealmsAtOnce.map(rate).join(' / '), C.ceilingThreeRealmsAtOnce.map(rate).join(' / ')],
      ['realms → Redis ports', S.realms.map((r) => r.masterPort).join(' '), C.realms.map((r) => r.masterPort).join(' ')],
    ]));
    out.push(runFooter(started, loadavgAtStart));
    console.log(out.join('\n'));

    const file = path.join(RESULTS, 'cluster.json');
    writeFileSync(file, JSON.stringify({
      ...runHeader('cluster', loadavgAtStart), options: o, realms,
      standalone, cluster: clustered,
      clusterCost: {
        t1p50: worse(S.t1.lateMs.p50, C.t1.lateMs.p50, false), t1p99: worse(S.t1.lateMs.p99, C.t1.lateMs.p99, false),
        t3OneRealm: worse(S.t3.oneRealm.serverPerSec, C.t3.oneRealm.serverPerSec, true), t3ThreeRealms: worse(S.t3.threeRealms.serverPerSec, C.t3.threeRealms.serverPerSec, true),
      },
      totalSeconds: (Date.now() - started) / 1000,
    }, null, 2) + '\n');
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await cluster?.stop();
    clearTimeout(watchdog);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
