/**
 * Activity ingest benchmarks T3 (WebSocket) and T4 (REST keep-alive) from design/BENCHMARKS.md,
 * with the ceiling in the same run: `redis-benchmark` EVALSHA of the very Lua scripts the two
 * paths run (touch-session for WebSocket, resolve-token with touch for REST) against a real
 * session key on the same redis-server.
 *
 *   npx tsx bench/ingest.ts [--sockets 1000] [--window 20] [--socket-rate 30] [--connections 64] [--seconds 15]
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
 *     the server's per-connection queue grow without bound. Each socket stays under the server's
 *     50 messages/s per connection (bench/lib/ws-ingest.ts: at most 30 frames/s by default, so
 *     1,000 sockets offer at most 30k/s; past the limit the server would close them 1008).
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
import { adminLogin, CpuWindow, log, loadedSha, opt, redisBenchmark, redisPid, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { fmtMs, summarize, table } from './lib/stats.js';
import { DEFAULT_SOCKET_RATE, idleRate, measure, runWs, type RunResult } from './lib/ws-ingest.js';

const o = {
  sockets: opt('sockets', 1000),
  window: opt('window', 20),
  connections: opt('connections', 64),
  seconds: opt('seconds', 15),
  warmup: opt('warmup', 3),
  socketRate: opt('socket-rate', DEFAULT_SOCKET_RATE),
  sessions: opt('sessions', 1000),
  maxMinutes: opt('max-minutes', 3),
  ceilingN: opt('ceiling-n', 100_000),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    runs.push(await runWs(stack, o, tokens, cpu, idle));
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
      ceilings.push({ what: 'resolve-token touch=1 (REST path)', P, rps: await redisBenchmark(port, ['EVALSHA', resolveSha, String(resolveKeys.length), ...resolveKeys, th, '1', 'rest', sid], { n: Math.round(o.ceilingN / 3), c: 50, P }) });
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
