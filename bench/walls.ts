/**
 * Wall displays benchmark T5w (design/BENCHMARKS.md): `--walls` real-time clients on the
 * `stats` topic while `--rate` session events/s are ingested, beside the same walls subscribed to
 * `sessions` (what a wall did before the stats topic) at the same load, each on a fresh stack in
 * the same run. Reports the server's CPU, messages and bytes per wall per second.
 *
 *   npx tsx bench/walls.ts [--walls 2000] [--rate 2000] [--seconds 15] [--max-minutes 6]
 *   (every flag also reads an env var: BENCH_WALLS, BENCH_RATE, ...)
 *
 * What runs where: its own redis-server and the real Vigil server in a child process
 * (bench/lib/perf-stack.ts); the load in another child (bench/fanout.ts --role loader: the
 * server's own touch-session Lua command, each session touched every 1.25 s so that no
 * activity is coalesced away), plus 25 sign-ins a second expiring a few seconds later, so that
 * the counters change every second; this process holds every wall socket and only counts frames and
 * bytes (no JSON parse), so that it costs little beside the server.
 */
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { adminLogin, CpuWindow, log, opt, redisPid, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { startChild, type BenchChild } from './lib/child.js';
import { runFooter, runHeader, table } from './lib/stats.js';

const o = {
  walls: opt('walls', 2000),
  rate: opt('rate', 2000),
  seconds: opt('seconds', 15),
  maxMinutes: opt('max-minutes', 6),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Wall {
  ws: WebSocket;
  frames: number;
  bytes: number;
}

async function connectWalls(stack: Stack, token: string, topic: 'stats' | 'sessions'): Promise<Wall[]> {
  const walls: Wall[] = [];
  for (let i = 0; i < o.walls; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, o.walls - i) }, () => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${stack.wsUrl}/ws`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
      const w: Wall = { ws, frames: 0, bytes: 0 };
      walls.push(w);
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', topic })));
      ws.on('message', (data: Buffer) => {
        w.frames++;
        w.bytes += data.length;
        // the first answer (stats or snapshot) says it is subscribed
        if (w.frames === 2) resolve();
      });
      // hello, then the subscription's first frame
    })));
  }
  return walls;
}

/** One topic's run, as walls.json holds it (bench/report.ts reads it). */
export interface WallsResult {
  topic: string;
  walls: number;
  seconds: number;
  events: number;
  framesPerWallPerSec: number;
  bytesPerWallPerSec: number;
  mbPerSecOut: number;
  cpu: Record<string, number>;
}

async function run(topic: 'stats' | 'sessions'): Promise<WallsResult> {
  const stack = await startStack({ name: `walls-${topic}` });
  try {
    const token = await adminLogin(stack.url, stack.adminPassword);
    // walls first, sessions after (as bench/fanout.ts): a sessions wall's snapshot is then
    // small, and what is measured is the live load, not 2,000 snapshots of 2,500 sessions
    const t = Date.now();
    const walls = await connectWalls(stack, token, topic);
    log(`${topic}: ${walls.length} walls subscribed in ${Date.now() - t} ms`);
    const sessions = await stack.createSessions(Math.ceil(o.rate * 1.25), 3600);
    await sleep(3000); // their session.started events (and the counters' change) go out first
    const frames0 = walls.reduce((a, w) => a + w.frames, 0);
    const bytes0 = walls.reduce((a, w) => a + w.bytes, 0);
    const cpu = new CpuWindow({ server: stack.server!.pid, redis: await redisPid(stack.rds), walls: process.pid });
    const sidFile = path.join(RESULTS, `walls-sids-${process.pid}.json`);
    writeFileSync(sidFile, JSON.stringify(sessions.map((x) => x.sid)));
    cpu.start();
    // churn besides the activity, so that the counters change every second: 25 sign-ins a
    // second whose sessions expire a few seconds later (activity alone changes no counter)
    let churning = true;
    const churn = (async () => {
      while (churning) {
        await stack.createSessions(5, 3);
        await sleep(200);
      }
    })();
    let loader: BenchChild | null = null;
    let sent = 0;
    let seconds = o.seconds;
    try {
      loader = await startChild({
        entry: path.join(path.dirname(new URL(import.meta.url).pathname), 'fanout.ts'), args: ['--role', 'loader'], readyMarker: 'LOADER_DONE',
        logFile: path.join(RESULTS, 'walls-loader.log'), timeoutMs: (o.seconds + 60) * 1000,
        env: { LOADER_REDIS: stack.redis.url, LOADER_PREFIX: stack.prefix, LOADER_SIDS: sidFile, LOADER_RATE: String(o.rate), LOADER_SECONDS: String(o.seconds), LOADER_OUT: '' },
      });
      sent = Number(loader.ready.sent);
      seconds = Number(loader.ready.seconds);
    } finally {
      churning = false;
      await churn;
      await loader?.stop();
      if (existsSync(sidFile)) unlinkSync(sidFile);
    }
    const use = cpu.stop();
    const frames = walls.reduce((a, w) => a + w.frames, 0) - frames0;
    const bytes = walls.reduce((a, w) => a + w.bytes, 0) - bytes0;
    for (const w of walls) w.ws.terminate();
    log(`${topic}: ${sent} activities in ${seconds.toFixed(1)} s; ${frames} frames, ${(bytes / 1e6).toFixed(1)} MB to the walls`);
    return {
      topic, walls: walls.length, seconds, events: sent,
      framesPerWallPerSec: frames / walls.length / seconds, bytesPerWallPerSec: bytes / walls.length / seconds,
      mbPerSecOut: bytes / seconds / 1e6, cpu: use,
    };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const started = Date.now();
  const loadAtStart = os.loadavg();
  const watchdog = setTimeout(() => {
    log(`walls bench: over --max-minutes ${o.maxMinutes}; stopping`);
    process.exit(2);
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  const results = [await run('stats'), await run('sessions')];
  clearTimeout(watchdog);
  console.log(`\nT5w walls — ${os.cpus().length} cores; ${o.walls} walls, ${o.rate} activities/s for ${o.seconds} s, each topic on a fresh stack`);
  console.log(table(
    ['walls on', 'activities /s', 'messages/wall/s', 'bytes/wall/s', 'MB/s out', 'CPU server', 'CPU redis', 'CPU walls'],
    results.map((r) => [r.topic, Math.round(r.events / r.seconds), r.framesPerWallPerSec.toFixed(2), Math.round(r.bytesPerWallPerSec), r.mbPerSecOut.toFixed(1), r.cpu.server ?? '-', r.cpu.redis ?? '-', r.cpu.walls ?? '-']),
  ));
  console.log('Target (T5w): 10,000 stats walls at 2,000 events/s cost the server little, at most 1 message per wall per second.');
  writeFileSync(path.join(RESULTS, 'walls.json'), JSON.stringify({ ...runHeader('walls', loadAtStart), options: o, results }, null, 2));
  console.log(runFooter(started, loadAtStart));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
