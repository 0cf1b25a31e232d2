/**
 * Activity ingest benchmarks T3 (WebSocket) and T4 (REST keep-alive) from design/BENCHMARKS.md,
 * with the ceiling in the same run: `redis-benchmark` EVALSHA of the very Lua scripts the two
 * paths run (touch-session for WebSocket, resolve-token with touch for REST) against a real
 * session key on the same redis-server.
 *
 *   npx tsx bench/ingest.ts [--sockets 1000] [--window 20] [--connections 64] [--seconds 15]
 *                           [--warmup 3] [--sessions 1000] [--ceiling-n 100000] [--max-minutes 3]
 *   (every flag also reads an env var: BENCH_SOCKETS, BENCH_WINDOW, ...)
 *
 * What runs where: its own redis-server (random port, no persistence, hash-max-listpack-value
 * 512 like the embedded one); the real Vigil server in a child process (bench/lib/server-main.ts),
 * so the load generator (this process) does not share the server's event loop; sessions are
 * created straight through the `createSession` Lua command (idle timeout 1 h).
 *
 * T3: `--sockets` /ws connections, one session token each (Bearer on the upgrade). Each socket
 *     sends `{"type":"activity"}` frames with no ref (no answer) in windows of `--window`
 *     frames, the last of which carries a ref; the server handles a connection's frames in
 *     order, so its ack means the whole window was absorbed. That is a closed loop with at
 *     most sockets×window frames in flight: "as fast as the server absorbs" without letting
 *     the server's per-connection queue grow without bound.
 * T4: `--connections` keep-alive HTTP/1.1 connections (raw sockets, one request in flight per
 *     connection, the request bytes built once), `POST /api/v1/realms/default/sessions/current/activity`
 *     with Bearer tokens from `--sessions` sessions, round-robin.
 * Counting (server side): INFO commandstats `cmdstat_evalsha` calls over the measured window
 *     (after warm-up), minus the idle EVALSHA rate measured with no load (timer wheel etc.).
 *     Every activity is exactly one EVALSHA (touch-session for WS, resolve-token for REST),
 *     so the delta is the number of activities that reached Redis; client-side counts (acked
 *     windows × window, 204 responses) are printed beside it as a cross-check.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import os from 'node:os';
import WebSocket from 'ws';
import { adminLogin, commandCalls, CpuWindow, log, loadedSha, opt, redisBenchmark, redisPid, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { fmtMs, summarize, table, type Summary } from './lib/stats.js';

const o = {
  sockets: opt('sockets', 1000),
  window: opt('window', 20),
  connections: opt('connections', 64),
  seconds: opt('seconds', 15),
  warmup: opt('warmup', 3),
  sessions: opt('sessions', 1000),
  maxMinutes: opt('max-minutes', 3),
  ceilingN: opt('ceiling-n', 100_000),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  test: string;
  seconds: number;
  serverCounted: number;
  serverPerSec: number;
  clientCounted: number;
  clientPerSec: number;
  errors: number;
  latencyMs: Summary | null;
  cpu: Record<string, number>;
}

async function evalshaCalls(stack: Stack): Promise<number> {
  return (await commandCalls(stack.rds)).evalsha?.calls ?? 0;
}

/** EVALSHA calls per second with no load (timer wheel, hub reads) — subtracted from the counts. */
async function idleRate(stack: Stack): Promise<number> {
  const a = await evalshaCalls(stack);
  const t = performance.now();
  await sleep(2000);
  const b = await evalshaCalls(stack);
  return (b - a - 1) / ((performance.now() - t) / 1000); // −1: INFO itself is not EVALSHA, but keep it conservative
}

async function measure(stack: Stack, cpu: CpuWindow, idle: number, seconds: number, clientCount: () => number): Promise<{ dt: number; server: number; client: number; cpu: Record<string, number> }> {
  const s0 = await evalshaCalls(stack);
  const c0 = clientCount();
  const t0 = performance.now();
  cpu.start();
  await sleep(seconds * 1000);
  const s1 = await evalshaCalls(stack);
  const c1 = clientCount();
  const dt = (performance.now() - t0) / 1000;
  return { dt, server: Math.max(0, s1 - s0 - Math.max(0, idle) * dt), client: c1 - c0, cpu: cpu.stop() };
}

// ---------------------------------------------------------------- T3

async function runWs(stack: Stack, tokens: string[], cpu: CpuWindow, idle: number): Promise<RunResult> {
  const frame = '{"type":"activity"}';
  let acked = 0;
  let errors = 0;
  let running = true;
  const latencies: number[] = [];
  const sockets: WebSocket[] = [];
  const opened: Array<Promise<void>> = [];
  for (let i = 0; i < o.sockets; i++) {
    const ws = new WebSocket(`${stack.wsUrl}/ws`, { headers: { authorization: `Bearer ${tokens[i % tokens.length]}` }, perMessageDeflate: false });
    sockets.push(ws);
    opened.push(new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    }));
    if (i % 100 === 99) await Promise.all(opened.slice(i - 99)); // do not stampede the upgrade handler
  }
  await Promise.all(opened);
  log(`T3: ${o.sockets} sockets open`);
  let ref = 0;
  const sendWindow = (ws: WebSocket) => {
    if (!running || ws.readyState !== WebSocket.OPEN) return;
    for (let k = 1; k < o.window; k++) ws.send(frame);
    const r = ++ref;
    pending.set(r, performance.now());
    ws.send(`{"type":"activity","ref":${r}}`);
  };
  const pending = new Map<number, number>();
  for (const ws of sockets) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string; ref?: number };
      if (msg.type === 'ack' && typeof msg.ref === 'number') {
        const t = pending.get(msg.ref);
        pending.delete(msg.ref);
        if (t !== undefined && latencies.length < 2_000_000) latencies.push(performance.now() - t);
        acked += o.window;
        sendWindow(ws);
      } else if (msg.type === 'error') {
        errors++;
        if (errors <= 3) log(`T3 error from server: ${data.toString()}`);
        if (msg.ref !== undefined) sendWindow(ws);
      }
    });
  }
  for (const ws of sockets) sendWindow(ws);
  await sleep(o.warmup * 1000);
  latencies.length = 0;
  const m = await measure(stack, cpu, idle, o.seconds, () => acked);
  running = false;
  const lat = latencies.length ? summarize(latencies) : null;
  await sleep(500);
  for (const ws of sockets) ws.terminate();
  return {
    test: 'T3 WS activity', seconds: m.dt, serverCounted: Math.round(m.server), serverPerSec: m.server / m.dt,
    clientCounted: m.client, clientPerSec: m.client / m.dt, errors, latencyMs: lat, cpu: m.cpu,
  };
}

// ---------------------------------------------------------------- T4

async function runRest(stack: Stack, tokens: string[], cpu: CpuWindow, idle: number): Promise<RunResult> {
  const port = Number(new URL(stack.url).port);
  const reqs = tokens.map((t) => Buffer.from(
    `POST /api/v1/realms/${REALM}/sessions/current/activity HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${t}\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n`,
  ));
  let ok = 0;
  let errors = 0;
  let running = true;
  let record = false;
  const latencies: number[] = [];
  let nextToken = 0;
  const conns: net.Socket[] = [];
  const connect = (): Promise<void> => new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, noDelay: true });
    conns.push(sock);
    let buf: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    const send = () => {
      if (!running) return sock.end();
      sentAt = performance.now();
      sock.write(reqs[nextToken++ % reqs.length]!);
    };
    sock.once('connect', () => {
      resolve();
      send();
    });
    sock.once('error', reject);
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const status = Number(head.slice(9, 12));
        if (status === 204) ok++;
        else {
          errors++;
          if (errors <= 3) log(`T4 HTTP ${status}: ${buf.subarray(end + 4, end + 4 + len).toString()}`);
        }
        if (record) latencies.push(performance.now() - sentAt);
        buf = buf.subarray(end + 4 + len);
        send();
      }
    });
  });
  await Promise.all(Array.from({ length: o.connections }, connect));
  await sleep(o.warmup * 1000);
  record = true;
  const m = await measure(stack, cpu, idle, o.seconds, () => ok);
  record = false;
  running = false;
  await sleep(300);
  for (const s of conns) s.destroy();
  return {
    test: 'T4 REST activity', seconds: m.dt, serverCounted: Math.round(m.server), serverPerSec: m.server / m.dt,
    clientCounted: m.client, clientPerSec: m.client / m.dt, errors, latencyMs: latencies.length ? summarize(latencies) : null, cpu: m.cpu,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    log(`ingest bench: over --max-minutes ${o.maxMinutes}; stopping`);
    void stack?.stop().finally(() => process.exit(2));
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  let stack: Stack | null = null;
  try {
    stack = await startStack({ name: 'ingest' });
    await adminLogin(stack.url, stack.adminPassword); // proves the server is up and bootstrapped
    const n = Math.max(o.sessions, o.sockets);
    const t = Date.now();
    const sessions = await stack.createSessions(n, 3600);
    log(`created ${n} sessions in ${Date.now() - t} ms`);
    const tokens = sessions.map((s) => s.token);
    const cpu = new CpuWindow({ server: stack.server!.pid, redis: await redisPid(stack.rds), loadgen: process.pid });

    const idle = await idleRate(stack);
    log(`idle EVALSHA rate ${idle.toFixed(1)}/s (subtracted)`);
    const runs: RunResult[] = [];
    runs.push(await runWs(stack, tokens, cpu, idle));
    log(`T3 done: ${Math.round(runs[0]!.serverPerSec)}/s`);
    await sleep(1000);
    runs.push(await runRest(stack, tokens, cpu, idle));
    log(`T4 done: ${Math.round(runs[1]!.serverPerSec)}/s`);

    // ---- ceiling: the same Lua scripts straight from redis-benchmark, on a real session
    const port = stack.redis.port;
    const touchSha = await loadedSha(stack.rds, 'touchSession');
    const resolveSha = await loadedSha(stack.rds, 'resolveToken');
    const sid = sessions[0]!.sid;
    const { hashToken } = await import('../server/sessions/tokens.js');
    const th = hashToken(sessions[0]!.token);
    const touchKeys = stack.keys.script.touchSession(REALM, sid);
    const resolveKeys = stack.keys.script.resolveToken(REALM);
    const ceilings: Array<{ what: string; P: number; rps: number }> = [];
    for (const P of [1, 16]) {
      // sized for a few seconds each on this machine
      ceilings.push({ what: 'touch-session (WS path)', P, rps: await redisBenchmark(port, ['EVALSHA', touchSha, String(touchKeys.length), ...touchKeys, sid, 'ws'], { n: o.ceilingN, c: 50, P }) });
      ceilings.push({ what: 'resolve-token touch=1 (REST path)', P, rps: await redisBenchmark(port, ['EVALSHA', resolveSha, String(resolveKeys.length), ...resolveKeys, th, '1', 'rest'], { n: Math.round(o.ceilingN / 3), c: 50, P }) });
    }
    const check = await stack.rds.hget(stack.keys.session(REALM, sid), 'st');
    if (check !== 'a') log(`warning: the ceiling session is no longer active (st=${check})`);

    // ---- report
    const targets: Record<string, number> = { 'T3 WS activity': 20_000, 'T4 REST activity': 8_000 };
    const ceilingFor = (test: string) => ceilings.find((c) => c.P === 16 && c.what.includes(test.startsWith('T3') ? 'touch' : 'resolve'))!.rps;
    const rows = runs.map((r) => [
      r.test, Math.round(r.serverPerSec), Math.round(r.clientPerSec), targets[r.test]!,
      Math.round(ceilingFor(r.test)), `${((r.serverPerSec / ceilingFor(r.test)) * 100).toFixed(0)}%`,
      r.latencyMs ? fmtMs(r.latencyMs.p50) : '-', r.latencyMs ? fmtMs(r.latencyMs.p99) : '-', r.latencyMs ? fmtMs(r.latencyMs.max) : '-',
      r.errors, `${r.cpu.server}/${r.cpu.redis}/${r.cpu.loadgen}`,
    ]);
    console.log(`\nActivity ingest — ${os.cpus().length} cores, ${o.seconds} s measured after ${o.warmup} s warm-up; T3: ${o.sockets} sockets × window ${o.window}; T4: ${o.connections} keep-alive connections, ${tokens.length} tokens`);
    console.log(table(
      ['test', 'server /s', 'client /s', 'target /s', 'ceiling /s', 'of ceiling', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'CPU srv/redis/gen'],
      rows,
    ));
    console.log('(server /s: EVALSHA calls counted by INFO commandstats minus the idle rate; client /s: acked windows × window (T3) / 204 responses (T4);');
    console.log(' latency: T3 = a window of frames sent → its ack; T4 = request → response. CPU in cores used over the window.)');
    console.log('\nCeiling: redis-benchmark EVALSHA on the same redis-server, 50 clients');
    console.log(table(['script', 'pipeline', 'calls /s'], ceilings.map((c) => [c.what, c.P, Math.round(c.rps)])));
    console.log('Keycloak sizing anchor: 120 refresh requests/s per vCPU');

    writeFileSync(path.join(RESULTS, 'ingest.json'), JSON.stringify({ at: new Date().toISOString(), options: o, cpus: os.cpus().length, idleEvalshaPerSec: idle, runs, ceilings, targets, keycloakPerVcpu: 120 }, null, 2));
    log(`wrote ${path.relative(process.cwd(), path.join(RESULTS, 'ingest.json'))}`);
  } finally {
    await stack?.stop();
    clearTimeout(watchdog);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
