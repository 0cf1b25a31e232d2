/**
 * Shared setup for the ingest / fan-out benchmarks: a private redis-server (optionally with
 * Vigil's embedded-Redis setting `hash-max-listpack-value 512`) or a Redis the caller started
 * and owns (`redis: { mode: 'cluster', urls }`, e.g. test/helpers/topology.ts's cluster: the
 * server child then gets REDIS_URL and VIGIL_REDIS_MODE), the real Vigil server in a
 * child process (bench/lib/server-main.ts), and bulk session creation straight through the
 * server's own `createSession` Lua command (pipelined, no argon2), with the resulting time
 * slices handed to the server's TimerWheel exactly as SessionEngine.start does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { Keys } from '../../server/redis/keys.js';
import { defineCommands, type ScriptedRedis } from '../../server/redis/scripts.js';
import { connectRedis, masters, type RedisTarget } from '../../server/redis/connect.js';
import { RealmStore } from '../../server/realms/store.js';
import { UserStore } from '../../server/users/store.js';
import { TimerWheel } from '../../server/timers/wheel.js';
import { Metrics } from '../../server/metrics.js';
import { hashToken, newId, newSessionToken } from '../../server/sessions/tokens.js';
import { startRedis, type BenchRedis } from './redis.js';
import { startChild, type BenchChild } from './child.js';

export const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS = path.join(HERE, 'results');
export const REALM = 'default';
/** A realistic browser user agent (over 64 bytes, so it matters for listpack encoding). */
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

export function opt(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const env = process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const raw = i >= 0 ? process.argv[i + 1] : env;
  if (raw === undefined) return def;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number, got ${raw}`);
  return v;
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${m}\n`);

export interface Stack {
  /** The private redis-server; with an external `redis` target, its first URL (stop() and kill() leave it alone). */
  redis: BenchRedis;
  /** Where the server child's Redis is (standalone: the private one). */
  target: RedisTarget;
  server: BenchChild | null;
  url: string;
  wsUrl: string;
  prefix: string;
  adminPassword: string;
  rds: ScriptedRedis;
  keys: Keys;
  benchUser: { id: string; username: string };
  /**
   * `n` sessions of `realm` (default REALM; another must be made first with `addRealm`), each
   * with `idleTimeout` seconds (a number, or one per index).
   */
  createSessions(n: number, idleTimeout: number | ((i: number) => number), inFlight?: number, realm?: string): Promise<Array<{ sid: string; token: string }>>;
  /** Creates a realm (default policy) with a `bench` user in it, for `createSessions`. */
  addRealm(realm: string): Promise<void>;
  /** One client per Redis master (standalone: `rds` itself), e.g. to sum INFO commandstats. */
  masters(): Redis[];
  /**
   * Another Vigil server child on the same redis-server and key prefix, with the same
   * environment and log file as `server` (a restart, or a second node); stop() stops it too.
   */
  startServer(): Promise<{ child: BenchChild; url: string; wsUrl: string }>;
  stop(): Promise<void>;
}

/** A Redis the caller started and stops: a cluster's seed nodes (Sentinel would fit the same way). */
export interface ExternalRedis {
  mode: 'cluster';
  urls: string[];
}

/** A BenchRedis standing for an external Redis: its first URL; the caller stops it. */
function externalRedis(t: ExternalRedis): BenchRedis {
  const u = new URL(t.urls[0]!);
  return {
    url: u.toString(), port: Number(u.port), pid: NaN,
    stop: async () => {},
    kill: () => Promise.reject(new Error('an external Redis is not this stack\'s to kill')),
  };
}

export async function startStack(opts: { name: string; listpack512?: boolean; serverEnv?: Record<string, string>; redisArgs?: string[]; redis?: ExternalRedis }): Promise<Stack> {
  mkdirSync(RESULTS, { recursive: true });
  const redis = opts.redis ? externalRedis(opts.redis) : await startRedis({ args: opts.redisArgs });
  const target: RedisTarget = opts.redis ? { mode: opts.redis.mode, urls: opts.redis.urls } : { mode: 'standalone', urls: [redis.url] };
  // standalone: plain clients as before; a cluster: the server's own factory (ioredis Cluster), with
  // BullMQ's options (no command timeout, commands wait for the connection) for bulk set-up
  const client = (extra: { maxRetriesPerRequest?: null } = {}): Redis => (opts.redis ? connectRedis(target, 'bullmq') : new Redis(redis.url, extra));
  const closers: Array<() => unknown> = [];
  let server: BenchChild | null = null;
  const moreServers: BenchChild[] = [];
  try {
    // an external Redis comes configured (topology.ts sets hash-max-listpack-value 512 on every node)
    if (opts.listpack512 !== false && !opts.redis) {
      const c = new Redis(redis.url);
      await c.config('SET', 'hash-max-listpack-value', '512');
      c.disconnect();
    }
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const adminPassword = `bench-admin-${randomBytes(6).toString('hex')}`;
    const logFile = path.join(RESULTS, `${opts.name}-server.log`);
    const serverOpts = {
      entry: path.join(HERE, 'lib', 'server-main.ts'), readyMarker: 'VIGIL_BENCH_READY', logFile,
      env: { REDIS_URL: target.urls.join(','), VIGIL_REDIS_MODE: target.mode, VIGIL_REDIS_PREFIX: prefix, VIGIL_ADMIN_PASSWORD: adminPassword, VIGIL_LOG_LEVEL: 'warn', VIGIL_ROLE: 'all', ...opts.serverEnv },
    };
    server = await startChild(serverOpts);
    const url = `http://127.0.0.1:${Number(server.ready.port)}`;
    log(`${target.mode} Redis ${target.urls.join(',')}; Vigil server child pid ${server.pid} on ${url}, prefix ${prefix} (log: ${path.relative(process.cwd(), logFile)})`);
    const rds = opts.redis ? (client() as ScriptedRedis) : defineCommands(client());
    closers.push(() => rds.disconnect());
    const bull = client({ maxRetriesPerRequest: null });
    closers.push(() => bull.disconnect());
    // a bench that stops Redis on purpose (bench/outage.ts) must not get ioredis's stack per reconnect attempt
    for (const c of [rds, bull]) c.on('error', () => {});
    const keys = new Keys(prefix);
    const users = new UserStore(rds, keys);
    const newBenchUser = (realm: string) => users.create(realm, { username: 'bench', password: `bench-${randomBytes(6).toString('hex')}`, roles: ['user'] }, 3600);
    const benchUser = await newBenchUser(REALM);
    const realmUsers = new Map<string, string>([[REALM, benchUser.id]]);
    const wheel = new TimerWheel(rds, keys, bull, new Metrics({ defaults: false }), { warn: () => {}, error: (o2, m) => process.stderr.write(`${m} ${JSON.stringify(o2)}\n`) });
    closers.push(() => wheel.queue.close());

    const createSessions = async (n: number, idleTimeout: number | ((i: number) => number), inFlight = 2, realm = REALM) => {
      const uid = realmUsers.get(realm);
      if (!uid) throw new Error(`no bench user in realm ${realm}: addRealm first`);
      const out: Array<{ sid: string; token: string }> = [];
      let next = 0;
      const runOne = async () => {
        while (next < n) {
          const from = next;
          const to = Math.min(n, from + 1000);
          next = to;
          const p = rds.pipeline() as unknown as ScriptedRedis & { exec(): Promise<Array<[Error | null, unknown]> | null> };
          for (let i = from; i < to; i++) {
            const sid = newId('s_');
            const token = newSessionToken(sid);
            out.push({ sid, token });
            const it = typeof idleTimeout === 'number' ? idleTimeout : idleTimeout(i);
            p.createSession(...keys.script.createSession(realm, sid, uid), sid, hashToken(token), 'console', uid, 'bench', '', it, `10.0.${(i >> 8) & 255}.${i & 255}`, USER_AGENT);
          }
          const slices = new Set<number>();
          for (const [err, reply] of (await p.exec()) ?? []) {
            if (err) throw err;
            for (const s of (reply as unknown[]).slice(2)) slices.add(Number(s));
          }
          await wheel.schedule(realm, [...slices]);
        }
      };
      await Promise.all(Array.from({ length: inFlight }, runOne));
      return out;
    };

    return {
      redis, target, server, url, wsUrl: url.replace('http', 'ws'), prefix, adminPassword, rds, keys, benchUser: { id: benchUser.id, username: benchUser.username },
      createSessions,
      async addRealm(realm) {
        await new RealmStore(rds, keys).create(realm);
        if (!realmUsers.has(realm)) realmUsers.set(realm, (await newBenchUser(realm)).id);
      },
      masters: () => masters(rds),
      async startServer() {
        const child = await startChild(serverOpts);
        moreServers.push(child);
        const u = `http://127.0.0.1:${Number(child.ready.port)}`;
        return { child, url: u, wsUrl: u.replace('http', 'ws') };
      },
      async stop() {
        for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
        await server?.stop().catch(() => {});
        await Promise.allSettled(moreServers.map((s) => s.stop()));
        await redis.stop();
      },
    };
  } catch (err) {
    await server?.stop().catch(() => {});
    await redis.stop();
    throw err;
  }
}

/**
 * Calls `create(n)` so that `total` items are made at `perSecond` from `start` (epoch ms) on,
 * catching up in one call when a call took long; resolves once all are made.
 */
export async function paced(start: number, total: number, perSecond: number, create: (n: number) => Promise<unknown>): Promise<void> {
  let made = 0;
  while (made < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * perSecond));
    if (due > made) {
      const n = due - made;
      made = due;
      await create(n);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Admin token through the real login route (argon2 once). */
export async function adminLogin(url: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/realms/${REALM}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  if (r.status !== 201) throw new Error(`admin login failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

/** `cmdstat_<cmd>` call counters from INFO commandstats. */
export async function commandCalls(r: Redis): Promise<Record<string, { calls: number; failed: number }>> {
  const out: Record<string, { calls: number; failed: number }> = {};
  for (const line of (await r.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+).*?(?:failed_calls=(\d+))?\s*$/.exec(line.trim());
    if (m) out[m[1]!] = { calls: Number(m[2]), failed: Number(m[3] ?? 0) };
  }
  return out;
}

/** The SHA1 of a defined Lua command, loaded into Redis (SCRIPT LOAD) so EVALSHA works. */
export async function loadedSha(rds: ScriptedRedis, command: string): Promise<string> {
  const script = (rds as unknown as { scriptsSet: Record<string, { lua: string; sha: string }> }).scriptsSet[command];
  if (!script) throw new Error(`no Lua command ${command}`);
  const sha = await rds.script('LOAD', script.lua) as string;
  if (sha !== createHash('sha1').update(script.lua).digest('hex')) throw new Error('sha mismatch');
  return sha;
}

/** Runs /usr/bin/redis-benchmark and returns requests per second from its --csv output. */
export function redisBenchmark(port: number, args: string[], opts: { n: number; c: number; P: number }): Promise<number> {
  const bin = process.env.REDIS_BENCHMARK_BIN ?? '/usr/bin/redis-benchmark';
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-h', '127.0.0.1', '-p', String(port), '-n', String(opts.n), '-c', String(opts.c), '-P', String(opts.P), '--csv', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      // "test","rps",... header then a row: "EVALSHA ...","123456.78",...
      const rows = out.trim().split('\n').filter((l) => !l.startsWith('"test"'));
      const last = rows[rows.length - 1];
      const rps = last ? Number(JSON.parse(`[${last}]`)[1]) : NaN;
      if (!Number.isFinite(rps)) return reject(new Error(`redis-benchmark failed (${code}): ${err || out}`));
      resolve(rps);
    });
  });
}

/** CPU seconds (user+system) a process has used so far, from /proc (Linux). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** CPU use of the three processes of a run (server child, redis-server, this process) over a window. */
export class CpuWindow {
  private t0 = 0;
  private c0: number[] = [];
  constructor(private readonly pids: Record<string, number>) {}
  start(): void {
    this.t0 = performance.now();
    this.c0 = Object.values(this.pids).map(procCpuSeconds);
  }
  /** Cores used by each process over the window (1.0 = one core busy). */
  stop(): Record<string, number> {
    const dt = (performance.now() - this.t0) / 1000;
    const c1 = Object.values(this.pids).map(procCpuSeconds);
    return Object.fromEntries(Object.keys(this.pids).map((k, i) => [k, Math.round(((c1[i]! - this.c0[i]!) / dt) * 100) / 100]));
  }
}

export async function redisPid(r: Redis): Promise<number> {
  return Number(/process_id:(\d+)/.exec(await r.info('server'))?.[1]);
}
