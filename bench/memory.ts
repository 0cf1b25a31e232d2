/**
 * Memory benchmarks T6 (Redis memory per live session) and T7 (Node heap flat in the session
 * count) from design/BENCHMARKS.md. Baseline: Keycloak's sizing (RHBK 24: 500 MB per 100k
 * sessions per pod ≈ 5 KiB per session), a constant.
 *
 *   node --expose-gc --import tsx bench/memory.ts [--sessions 100000] [--concurrency 200]
 *                                                 [--no-defaults] [--max-minutes 3]
 *   (every flag also reads an env var: BENCH_SESSIONS, BENCH_CONCURRENCY, ...)
 *
 * What runs where: the real Vigil app in this process (buildApp + bootstrap + timer worker +
 * listening on 127.0.0.1), so `process.memoryUsage().heapUsed` after `global.gc()` is the
 * server's own heap; its own redis-server per configuration (random port, no persistence).
 * Sessions are made with `app.engine.start` (the real path, time slices scheduled on the
 * timer wheel; no password hashing), console kind, idle timeout 1–2 h, a real browser user
 * agent (> 64 bytes) and an IPv4 address.
 *
 * Two Redis configurations, each a fresh redis-server + app:
 *   - listpack 512: `hash-max-listpack-value 512`, what Vigil's embedded Redis runs with;
 *     heap and Redis measured at 0, 10%, 50% and 100% of --sessions;
 *   - Redis defaults (hash-max-listpack-value 64): Redis measured at 100% (skip: --no-defaults).
 * Redis per session = (used_memory at N − used_memory at 0) / N, "all-in" (T6 counts the
 * event stream: every session.started is in it, as retention keeps days of events), and again
 * without the stream; then MEMORY USAGE of each structure a live session has a part in.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { buildApp } from '../server/app.js';
import { bootstrap } from '../server/bootstrap.js';
import { loadConfig } from '../server/config.js';
import { startRedis } from './lib/redis.js';
import { log, opt, flag, REALM, RESULTS, USER_AGENT } from './lib/perf-stack.js';
import { table } from './lib/stats.js';

const o = {
  sessions: opt('sessions', 100_000),
  concurrency: opt('concurrency', 200),
  maxMinutes: opt('max-minutes', 3),
  defaults: !flag('no-defaults'),
};
const KEYCLOAK_BYTES = 5 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with: node --expose-gc --import tsx bench/memory.ts');
  process.exit(1);
}

/** One measurement, as memory.json holds it (bench/report.ts reads it). */
export interface Point {
  sessions: number;
  heapUsed: number;
  rss: number;
  usedMemory: number;
  streamBytes: number;
  keys: number;
}

async function usedMemory(r: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
}

async function settleHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().heapUsed;
}

/** Per configuration: bytes per live session by structure. */
const breakdowns: Record<string, Record<string, number>> = {};

async function runConfig(name: string, listpack512: boolean, steps: number[]): Promise<Point[]> {
  const redis = await startRedis();
  const r = new Redis(redis.url);
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  try {
    if (listpack512) await r.config('SET', 'hash-max-listpack-value', '512');
    const encodingCfg = (await r.config('GET', 'hash-max-listpack-value')) as string[];
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const config = loadConfig({
      VIGIL_PORT: '0', VIGIL_HOST: '127.0.0.1', VIGIL_REDIS_PREFIX: prefix, REDIS_URL: redis.url,
      VIGIL_ADMIN_PASSWORD: `bench-admin-${randomBytes(6).toString('hex')}`, VIGIL_LOG_LEVEL: 'warn', VIGIL_ROLE: 'all',
    });
    app = await buildApp({ config, redisUrl: redis.url });
    await bootstrap(app);
    await app.timers.startWorker();
    await app.listen({ port: 0, host: '127.0.0.1' });
    log(`${name}: redis ${redis.url} (${encodingCfg.join(' ')}), Vigil in-process on port ${(app.server.address() as { port: number }).port}, prefix ${prefix}`);
    const admin = await app.users.byUsername(REALM, 'admin');
    if (!admin) throw new Error('bootstrap made no admin');
    const user = { id: admin.id, username: admin.username };
    const engine = app.engine;
    const streamKey = app.keys.events(REALM);

    const points: Point[] = [];
    const measure = async (n: number) => {
      await new Promise((res) => setTimeout(res, 1000)); // let the hub and the timer wheel catch up
      const heapUsed = await settleHeap();
      const p: Point = {
        sessions: n, heapUsed, rss: process.memoryUsage().rss, usedMemory: await usedMemory(r),
        streamBytes: Number((await r.memory('USAGE', streamKey, 'SAMPLES', '0')) ?? 0), keys: await r.dbsize(),
      };
      points.push(p);
      log(`${name}: ${n} sessions: heapUsed ${(heapUsed / 1048576).toFixed(1)} MiB, redis used_memory ${(p.usedMemory / 1048576).toFixed(1)} MiB (stream ${(p.streamBytes / 1048576).toFixed(1)} MiB)`);
    };

    let made = 0;
    for (const target of steps) {
      const t = Date.now();
      const from = made;
      const worker = async () => {
        while (made < target) {
          const i = made++;
          await engine.start({ realm: REALM, kind: 'console', user, idleTimeout: 3600 + (i % 3600), ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, userAgent: USER_AGENT });
        }
      };
      if (target > from) {
        await Promise.all(Array.from({ length: o.concurrency }, worker));
        log(`${name}: +${target - from} sessions in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      }
      await measure(target);
    }
    const sample = (await r.scan('0', 'MATCH', `${prefix}:{${REALM}}:s:*`, 'COUNT', 100))[1][0];
    if (sample) log(`${name}: a session hash is encoded as ${await r.object('ENCODING', sample)} (${await r.memory('USAGE', sample)} bytes by MEMORY USAGE)`);
    // where the bytes go, per live session (MEMORY USAGE, exact for the shared structures)
    const n = points[points.length - 1]!.sessions;
    if (n > 0) {
      const usage = async (key: string) => Number((await r.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
      const hashes: number[] = [];
      let cursor = '0';
      do {
        const [c, batch] = await r.scan(cursor, 'MATCH', `${prefix}:{${REALM}}:s:*`, 'COUNT', 500);
        cursor = c;
        for (const k of batch) if (hashes.length < 500) hashes.push(await usage(k));
      } while (cursor !== '0' && hashes.length < 500);
      const per = (b: number) => Math.round(b / n);
      const parts: Record<string, number> = {
        'session hash (mean of 500)': Math.round(hashes.reduce((a, b) => a + b, 0) / hashes.length),
        'token index entry': per(await usage(app.keys.tokens(REALM))),
        'deadline set entry': per(await usage(app.keys.deadlines(REALM))),
        "user's session set entry": per(await usage(app.keys.userSessions(REALM, admin.id))),
        'event stream (its session.started)': per(await usage(streamKey)),
      };
      breakdowns[name] = parts;
      log(`${name}: per session ${JSON.stringify(parts)}`);
    }
    return points;
  } finally {
    await app?.close();
    r.disconnect();
    await redis.stop();
  }
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    log(`memory bench: over --max-minutes ${o.maxMinutes}; stopping`);
    process.exit(2);
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  mkdirSync(RESULTS, { recursive: true });
  const N = o.sessions;
  const steps = [...new Set([0, Math.round(N / 10), Math.round(N / 2), N])];
  const lp = await runConfig('listpack 512', true, steps);
  const def = o.defaults ? await runConfig('redis defaults', false, [0, N]) : null;

  const perSession = (pts: Point[]) => {
    const a = pts[0]!;
    const b = pts[pts.length - 1]!;
    const n = b.sessions - a.sessions;
    return {
      allIn: (b.usedMemory - a.usedMemory) / n,
      noStream: (b.usedMemory - b.streamBytes - (a.usedMemory - a.streamBytes)) / n,
      streamTotal: b.streamBytes,
    };
  };
  const rows: Array<Array<string | number>> = [];
  const lpS = perSession(lp);
  rows.push(['Vigil, hash-max-listpack-value 512 (embedded)', N, Math.round(lpS.allIn), Math.round(lpS.noStream), (lpS.streamTotal / 1048576).toFixed(1), 1024, `${(KEYCLOAK_BYTES / lpS.allIn).toFixed(1)}x`]);
  let defS: ReturnType<typeof perSession> | null = null;
  if (def) {
    defS = perSession(def);
    rows.push(['Vigil, Redis defaults (listpack value 64)', N, Math.round(defS.allIn), Math.round(defS.noStream), (defS.streamTotal / 1048576).toFixed(1), 1024, `${(KEYCLOAK_BYTES / defS.allIn).toFixed(1)}x`]);
  }
  rows.push(['Keycloak sizing (RHBK 24, 500 MB / 100k)', N, KEYCLOAK_BYTES, '-', '-', '-', '1.0x']);
  console.log(`\nT6 — Redis used_memory per live session (${N} sessions)`);
  console.log(table(['configuration', 'sessions', 'B/session all-in', 'B/session w/o stream', 'stream MiB', 'target B', 'vs Keycloak'], rows));

  for (const [name, parts] of Object.entries(breakdowns)) {
    console.log(`\nWhere the bytes go (${name}; MEMORY USAGE per live session; the rest of all-in is Redis's own key table and allocator overhead):`);
    console.log(table(['structure', 'B/session'], Object.entries(parts).map(([k, v]) => [k, v])));
  }
  const h0 = lp[0]!.heapUsed;
  console.log(`\nT7 — Node heap (heapUsed after global.gc()) vs live sessions, listpack-512 run`);
  console.log(table(['sessions', 'heapUsed MiB', 'Δ vs 0 MiB', 'Δ bytes/session', 'rss MiB', 'redis MiB', 'redis keys'], lp.map((p) => [
    p.sessions, (p.heapUsed / 1048576).toFixed(1), ((p.heapUsed - h0) / 1048576).toFixed(1), p.sessions ? ((p.heapUsed - h0) / p.sessions).toFixed(1) : '-',
    (p.rss / 1048576).toFixed(0), (p.usedMemory / 1048576).toFixed(1), p.keys,
  ])));
  writeFileSync(path.join(RESULTS, 'memory.json'), JSON.stringify({
    at: new Date().toISOString(), options: o, keycloakBytesPerSession: KEYCLOAK_BYTES, targetBytesPerSession: 1024,
    listpack512: { points: lp, perSession: lpS }, redisDefaults: def ? { points: def, perSession: defS } : null, breakdowns,
  }, null, 2));
  log(`wrote ${path.relative(process.cwd(), path.join(RESULTS, 'memory.json'))}`);
  clearTimeout(watchdog);
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
