/**
 * `npm run bench:security`: what an attacker's floods cost the server, this checkout against a
 * baseline checkout (the first release) in the same run. Each server is a real child process
 * on its own throwaway redis-server, loaded with SESSIONS sessions so that one snapshot is a
 * few MB; measured from outside:
 *  - subscribe floods: a viewer sends 100 Socket.IO subscribes at once, and another 150 `/ws`
 *    subscribe frames at once; the server's peak RSS growth (VmRSS from /proc, sampled every
 *    5 ms) and how many snapshots it sent;
 *  - password guessing: 40 parallel wrong passwords for one user; how many were verified (401)
 *    and how many refused before the hash (429);
 *  - anonymous sockets: 300 `/ws` upgrades without a credential from one address; how many the
 *    server accepted.
 *
 * The baseline is a work tree of an earlier commit with its node_modules, e.g.
 *   git worktree add /tmp/vigil-r1 3f43f91 && ln -s "$PWD/node_modules" /tmp/vigil-r1/node_modules
 *   npm run bench:security -- --baseline /tmp/vigil-r1
 * Without --baseline only this checkout is measured. Talks only to 127.0.0.1; bounded; stops by itself.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startChild } from './lib/child.js';
import { startRedis } from './lib/redis.js';
import { runHeader, table } from './lib/stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, 'results');
const SESSIONS = 3000;
const ADMIN_PASSWORD = 'bench-admin-password';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** Samples a process's RSS until stopped; the peak growth over the first sample, in MB. */
function sampleRss(pid: number): { stop(): number } {
  const before = rssKiB(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 5);
  return { stop: () => (clearInterval(timer), (Math.max(peak, rssKiB(pid)) - before) / 1024) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Measured {
  target: string;
  sioFlood: { rssGrowthMB: number; snapshots: number; closeCode: number | null };
  wsFlood: { rssGrowthMB: number; snapshots: number; closeCode: number | null };
  guesses: { verified: number; refused: number; other: number };
  anonymous: { accepted: number; refused: number };
}

async function measure(label: string, dir: string): Promise<Measured> {
  const redis = await startRedis();
  const server = await startChild({
    entry: path.join(dir, 'bench/lib/server-main.ts'),
    cwd: dir,
    env: { REDIS_URL: redis.url, VIGIL_REDIS_PREFIX: 'sec', VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD, VIGIL_LOG_LEVEL: 'error' },
    readyMarker: 'VIGIL_BENCH_READY',
    logFile: path.join(RESULTS, `security-${label}.log`),
  });
  const base = `http://127.0.0.1:${server.ready.port}`;
  const api = async (method: string, p: string, token?: string, body?: unknown) => {
    const r = await fetch(`${base}/api/v1/realms/default${p}`, {
      method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: (await r.json().catch(() => null)) as any };
  };
  try {
    const admin = (await api('POST', '/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token as string;
    await api('POST', '/users', admin, { username: 'vera', password: 'vera-password', roles: ['viewer'] });
    await api('POST', '/users', admin, { username: 'carol', password: 'carol-password', roles: ['user'] });
    for (let i = 0; i < SESSIONS; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => api('POST', '/sessions', admin, { username: 'carol', idleTimeout: 3600, origin: { ip: '127.0.0.1', userAgent: 'x'.repeat(200) } })));
    }
    const viewer = async () => (await api('POST', '/login', undefined, { username: 'vera', password: 'vera-password' })).body.token as string;
    await sleep(1000);

    // 100 Socket.IO subscribes at once
    const sio = io(base, { auth: { token: await viewer() }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => (sio.once('connect', () => resolve()), sio.once('connect_error', reject)));
    let sioSnapshots = 0;
    let sioClose: number | null = null;
    sio.on('snapshot', () => sioSnapshots++);
    sio.on('close', (m: { code: number }) => (sioClose = m.code));
    let rss = sampleRss(server.pid);
    await Promise.all(Array.from({ length: 100 }, () => sio.timeout(60_000).emitWithAck('subscribe', { topic: 'sessions' }).catch(() => null)));
    await sleep(2000);
    const sioFlood = { rssGrowthMB: rss.stop(), snapshots: sioSnapshots, closeCode: sioClose };
    sio.disconnect();
    await sleep(2000);

    // 150 small /ws frames at once
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${await viewer()}` } });
    let wsSnapshots = 0;
    let wsClose: number | null = null;
    let lastMessage = Date.now();
    ws.on('message', (d) => {
      lastMessage = Date.now();
      if ((JSON.parse(d.toString()) as { type: string }).type === 'snapshot') wsSnapshots++;
    });
    ws.on('close', (code) => (wsClose = code));
    await new Promise((r) => ws.once('open', r));
    await sleep(200);
    rss = sampleRss(server.pid);
    for (let i = 0; i < 150; i++) ws.send(JSON.stringify({ type: 'subscribe', topic: 'sessions', ref: i }));
    const flooded = Date.now();
    while (wsClose === null && Date.now() - flooded < 120_000 && (wsSnapshots < 150 || Date.now() - lastMessage < 2000)) {
      await sleep(100);
      if (Date.now() - lastMessage > 3000) break;
    }
    const wsFlood = { rssGrowthMB: rss.stop(), snapshots: wsSnapshots, closeCode: wsClose };
    ws.terminate();

    // 40 parallel wrong passwords for one user
    const statuses = await Promise.all(Array.from({ length: 40 }, () => api('POST', '/login', undefined, { username: 'carol', password: 'wrong-password' }).then((r) => r.status)));
    const guesses = { verified: statuses.filter((s) => s === 401).length, refused: statuses.filter((s) => s === 429).length, other: statuses.filter((s) => s !== 401 && s !== 429).length };

    // 300 anonymous /ws sockets from one address
    const anon = await Promise.all(Array.from({ length: 300 }, () => new Promise<WebSocket | null>((resolve) => {
      const s = new WebSocket(`${base.replace('http', 'ws')}/ws`);
      s.once('open', () => resolve(s));
      s.once('unexpected-response', () => resolve(null));
      s.once('error', () => resolve(null));
    })));
    const anonymous = { accepted: anon.filter(Boolean).length, refused: anon.filter((s) => !s).length };
    for (const s of anon) s?.terminate();

    return { target: label, sioFlood, wsFlood, guesses, anonymous };
  } finally {
    await server.stop();
    await redis.stop();
  }
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const loadavg = os.loadavg();
  const targets: Array<[string, string]> = [['this checkout', path.resolve(HERE, '..')]];
  const baseline = arg('baseline');
  if (baseline) targets.unshift(['baseline', path.resolve(baseline)]);
  const results: Measured[] = [];
  for (const [label, dir] of targets) {
    process.stdout.write(`measuring ${label} (${dir})…\n`);
    results.push(await measure(label.replace(/\s+/g, '-'), dir));
  }
  const rows = results.map((r) => [
    r.target,
    r.sioFlood.rssGrowthMB.toFixed(0), r.sioFlood.snapshots, r.sioFlood.closeCode ?? '–',
    r.wsFlood.rssGrowthMB.toFixed(0), r.wsFlood.snapshots, r.wsFlood.closeCode ?? '–',
    `${r.guesses.verified} / ${r.guesses.refused}`, `${r.anonymous.accepted} / ${r.anonymous.refused}`,
  ]);
  process.stdout.write(`\n${SESSIONS} sessions in the realm; RSS growth is the server process's peak over its level before the flood\n`);
  process.stdout.write(table(
    ['server', 'Socket.IO ×100: RSS +MB', 'snapshots', 'close', '/ws ×150: RSS +MB', 'snapshots', 'close', '40 guesses: verified / 429', '300 anonymous /ws: open / refused'],
    rows,
  ) + '\n');
  const file = path.join(RESULTS, 'security.json');
  writeFileSync(file, JSON.stringify({ ...runHeader('security', loadavg), sessions: SESSIONS, results }, null, 2));
  process.stdout.write(`\nwrote ${file}\n`);
}

void main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench:security failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
