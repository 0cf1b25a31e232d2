/**
 * T3's WebSocket activity load (design/BENCHMARKS.md), shared by bench/ingest.ts and
 * bench/cluster.ts: `sockets` /ws connections, each sending windows of `window` activity
 * frames (the last with a ref; its ack means the window was absorbed), counted on the server
 * side as EVALSHA calls in INFO commandstats — summed over every master on a cluster.
 */
import WebSocket from 'ws';
import { commandCalls, CpuWindow, log, type Stack } from './perf-stack.js';
import { summarize, type Summary } from './stats.js';

export interface WsLoad {
  sockets: number;
  window: number;
  warmup: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunResult {
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

export async function evalshaCalls(stack: Stack): Promise<number> {
  let n = 0;
  for (const r of stack.masters()) n += (await commandCalls(r)).evalsha?.calls ?? 0;
  return n;
}

/** EVALSHA calls per second with no load (timer wheel, hub reads) — subtracted from the counts. */
export async function idleRate(stack: Stack): Promise<number> {
  const a = await evalshaCalls(stack);
  const t = performance.now();
  await sleep(2000);
  const b = await evalshaCalls(stack);
  return (b - a - 1) / ((performance.now() - t) / 1000); // −1: INFO itself is not EVALSHA, but keep it conservative
}

export async function measure(stack: Stack, cpu: CpuWindow, idle: number, seconds: number, clientCount: () => number): Promise<{ dt: number; server: number; client: number; cpu: Record<string, number> }> {
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

/**
 * T3: `o.sockets` sockets, socket i authenticated with tokens[i % length] in realm
 * realms[i % length] (default: the `default` realm, no `?realm=`).
 */
export async function runWs(stack: Stack, o: WsLoad, tokens: string[], cpu: CpuWindow, idle: number, realms?: string[]): Promise<RunResult> {
  const frame = '{"type":"activity"}';
  let acked = 0;
  let errors = 0;
  let running = true;
  const latencies: number[] = [];
  const sockets: WebSocket[] = [];
  const opened: Array<Promise<void>> = [];
  for (let i = 0; i < o.sockets; i++) {
    const ws = new WebSocket(`${stack.wsUrl}/ws${realms ? `?realm=${realms[i % realms.length]}` : ''}`, { headers: { authorization: `Bearer ${tokens[i % tokens.length]}` }, perMessageDeflate: false });
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
