/**
 * T3's WebSocket activity load (design/BENCHMARKS.md), shared by bench/ingest.ts and
 * bench/cluster.ts: `sockets` /ws connections, each sending windows of `window` activity
 * frames (the last with a ref; its ack means the window was absorbed), counted on the server
 * side as EVALSHA calls in INFO commandstats — summed over every master on a cluster.
 *
 * Each socket stays under the server's per-connection limit (MESSAGES_PER_SECOND, 50 a
 * second; past it a message is refused, and past 20 refusals a minute the socket is closed
 * 1008): its windows start at least window ÷ `socketRate` seconds apart (default 30/s, so
 * that no calendar second on the server sees more than two windows of 20). The load is then
 * at most sockets × socketRate (1,000 × 30 = 30k/s by default); a run that reaches it says so.
 */
import WebSocket from 'ws';
import { commandCalls, CpuWindow, log, type Stack } from './perf-stack.js';
import { summarize, type Summary } from './stats.js';
import { MESSAGES_PER_SECOND } from '../../shared/protocol.js';

export const DEFAULT_SOCKET_RATE = Math.floor(MESSAGES_PER_SECOND * 0.6);

export interface WsLoad {
  sockets: number;
  window: number;
  warmup: number;
  seconds: number;
  /** Activity frames a second per socket at most; default DEFAULT_SOCKET_RATE. */
  socketRate?: number;
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
  /** Sockets the server closed during the run (e.g. 1008 for too many refused messages). */
  socketsClosed?: number;
  /** sockets × socketRate: the most this load can offer. */
  offeredCapPerSec?: number;
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
  let socketsClosed = 0;
  for (const ws of sockets) ws.once('close', () => running && socketsClosed++);
  const socketRate = o.socketRate ?? DEFAULT_SOCKET_RATE;
  const spacingMs = (o.window / socketRate) * 1000;
  const lastStart = new Map<WebSocket, number>();
  let ref = 0;
  const sendWindow = (ws: WebSocket) => {
    if (!running || ws.readyState !== WebSocket.OPEN) return;
    const now = performance.now();
    const wait = (lastStart.get(ws) ?? -Infinity) + spacingMs - now;
    if (wait > 0) {
      setTimeout(() => sendWindow(ws), wait);
      return;
    }
    lastStart.set(ws, now);
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
  if (socketsClosed) log(`T3: the server closed ${socketsClosed} of ${o.sockets} sockets during the run`);
  const lat = latencies.length ? summarize(latencies) : null;
  await sleep(500);
  for (const ws of sockets) ws.terminate();
  return {
    test: 'T3 WS activity', seconds: m.dt, serverCounted: Math.round(m.server), serverPerSec: m.server / m.dt,
    clientCounted: m.client, clientPerSec: m.client / m.dt, errors, socketsClosed, offeredCapPerSec: o.sockets * socketRate, latencyMs: lat, cpu: m.cpu,
  };
}
