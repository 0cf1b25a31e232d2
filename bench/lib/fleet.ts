/**
 * Subscribers for the fan-out benchmarks, in their own processes: the first release's
 * subscribers shared the measuring process and were its bottleneck. A `Fleets` (parent side)
 * starts `n` children of this file; each holds its share of the WebSocket clients and answers
 * the parent over the IPC channel.
 *
 * Every client counts the `session.activity` events it receives (a substring count, no JSON
 * parse), its frames and bytes, and the resyncs (a `snapshot` with `resync: true`). Every
 * `sample`-th client also parses every frame: it records delivery latency (receipt − the
 * event's `at`), duplicate ids, and keeps the session list the way the dashboard does
 * (web/src/lib/session-store.ts: the snapshot, then each event, `changes` merged), so that at
 * the end its state can be compared field by field with what Redis holds.
 *
 * The hub serialises one frame per audience and sends the same bytes to each of its members,
 * so a client that got the same number of frames, bytes and activity events as a checked
 * client, with no resync, got the same events: that is how "every client's state equals
 * Redis" is checked without parsing 2,000 events/s on each of 1,000 sockets.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { SessionStore } from '../../web/src/lib/session-store.js';
import type { Session, VigilEvent } from '../../shared/protocol.js';
import { startChild, type BenchChild } from './child.js';

const NEEDLE = Buffer.from('"name":"session.activity"');

function countNeedle(buf: Buffer): number {
  let n = 0;
  let i = buf.indexOf(NEEDLE);
  while (i >= 0) {
    n++;
    i = buf.indexOf(NEEDLE, i + NEEDLE.length);
  }
  return n;
}

export interface ClientStats {
  activity: number;
  snapshots: number;
  resyncs: number;
  bytes: number;
  frames: number;
  dupes: number;
  /** Only for checked (sampled) clients: how many sessions differ from the truth, and how. */
  checked?: { sessions: number; mismatched: number; missing: number; extra: number; example: string | null };
}

export interface FleetReport {
  clients: ClientStats[];
  latencies: number[];
  /** The first session.activity event a checked client parsed (the naive baseline sends copies of it). */
  template: Record<string, unknown> | null;
}

type Command =
  | { cmd: 'connect'; url: string; headers: Record<string, string>; subscribe: Record<string, unknown> | null; n: number; sample: number; offset: number }
  | { cmd: 'record'; on: boolean }
  | { cmd: 'totals' }
  | { cmd: 'report'; truth: Session[] | null }
  | { cmd: 'close' };

// ---------------------------------------------------------------- child side

interface Client {
  ws: WebSocket;
  s: ClientStats;
  ids: Set<string> | null;
  store: SessionStore | null;
}

/** Field-by-field comparison of a client's sessions with the truth. */
function compare(store: SessionStore, truth: Session[]): NonNullable<ClientStats['checked']> {
  const out = { sessions: truth.length, mismatched: 0, missing: 0, extra: 0, example: null as string | null };
  const want = new Map(truth.map((s) => [s.id, s]));
  for (const [id, t] of want) {
    const got = store.sessions.get(id) as unknown as Record<string, unknown> | undefined;
    if (!got) {
      out.missing++;
      out.example ??= `${id} missing`;
      continue;
    }
    for (const [k, v] of Object.entries(t)) {
      if (JSON.stringify(v) !== JSON.stringify(got[k])) {
        out.mismatched++;
        out.example ??= `${id}.${k}: client ${JSON.stringify(got[k])}, Redis ${JSON.stringify(v)}`;
        break;
      }
    }
  }
  for (const id of store.sessions.keys()) if (!want.has(id)) out.extra++;
  return out;
}

async function childMain(): Promise<void> {
  const clients: Client[] = [];
  const latencies: number[] = [];
  let recording = false;
  let template: Record<string, unknown> | null = null;
  const send = (m: unknown) => process.send!(m);

  const one = (c: Extract<Command, { cmd: 'connect' }>, i: number): Promise<void> => {
    const ws = new WebSocket(c.url, { headers: c.headers, perMessageDeflate: false });
    const checked = (c.offset + i) % c.sample === 0;
    const cl: Client = { ws, s: { activity: 0, snapshots: 0, resyncs: 0, bytes: 0, frames: 0, dupes: 0 }, ids: checked ? new Set() : null, store: checked ? new SessionStore() : null };
    clients.push(cl);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
      ws.once('open', () => {
        if (!c.subscribe) resolve();
        else ws.send(JSON.stringify(c.subscribe));
      });
      ws.on('message', (data: Buffer) => {
        const at = Date.now();
        const s = cl.s;
        s.bytes += data.length;
        if (data[2] === 0x74 && data.subarray(0, 19).toString() === '{"type":"snapshot",') {
          s.snapshots++;
          if (s.snapshots === 1) resolve();
          if (data.includes('"resync":true')) s.resyncs++;
          if (cl.store) cl.store.reset((JSON.parse(data.toString()) as { sessions: Session[] }).sessions);
          return;
        }
        s.frames++;
        s.activity += countNeedle(data);
        if (!cl.ids) return;
        const msg = JSON.parse(data.toString()) as { type?: string; events?: VigilEvent[] } & Partial<VigilEvent>;
        const events = msg.type === 'events' ? msg.events ?? [] : msg.name ? [msg as VigilEvent] : [];
        cl.store?.apply(events);
        if (!recording) return;
        for (const e of events) {
          if (e.name !== 'session.activity') continue;
          template ??= e as unknown as Record<string, unknown>;
          if (cl.ids.has(e.id)) s.dupes++;
          cl.ids.add(e.id);
          latencies.push(at - Date.parse(e.at));
        }
      });
    });
  };

  process.on('message', (m: Command) => {
    void (async () => {
      switch (m.cmd) {
        case 'connect':
          for (let i = 0; i < m.n; i += 50) await Promise.all(Array.from({ length: Math.min(50, m.n - i) }, (_, j) => one(m, i + j)));
          send({ ok: 'connect' });
          break;
        case 'record':
          recording = m.on;
          send({ ok: 'record' });
          break;
        case 'totals':
          send({ ok: 'totals', activity: clients.reduce((a, c) => a + c.s.activity, 0), bytes: clients.reduce((a, c) => a + c.s.bytes, 0), frames: clients.reduce((a, c) => a + c.s.frames, 0) });
          break;
        case 'report': {
          const report: FleetReport = {
            clients: clients.map((c) => (c.store && m.truth ? { ...c.s, checked: compare(c.store, m.truth) } : { ...c.s })),
            latencies,
            template,
          };
          send({ ok: 'report', report });
          break;
        }
        case 'close':
          for (const c of clients) c.ws.terminate();
          clients.length = 0;
          send({ ok: 'close' });
          break;
      }
    })().catch((err: Error) => send({ error: err.stack ?? String(err) }));
  });
  process.stdout.write('FLEET_READY\n');
  await new Promise((r) => process.once('SIGTERM', r));
  process.exit(0);
}

// ---------------------------------------------------------------- parent side

/** `n` subscriber processes, driven together. */
export class Fleets {
  private constructor(private readonly children: BenchChild[]) {}

  static async start(n: number, logFile: string): Promise<Fleets> {
    const entry = fileURLToPath(import.meta.url);
    const children = await Promise.all(Array.from({ length: n }, () => startChild({ entry, args: ['--role', 'fleet'], readyMarker: 'FLEET_READY', logFile })));
    return new Fleets(children);
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid);
  }

  private ask<T>(child: BenchChild, m: Command, ok: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const on = (r: { ok?: string; error?: string }) => {
        if (r.error) {
          child.proc.off('message', on);
          reject(new Error(`subscriber process ${child.pid}: ${r.error}`));
        } else if (r.ok === ok) {
          child.proc.off('message', on);
          resolve(r as T);
        }
      };
      child.proc.on('message', on);
      child.proc.send(m);
    });
  }

  private all<T>(m: Command | ((i: number) => Command), ok: string): Promise<T[]> {
    return Promise.all(this.children.map((c, i) => this.ask<T>(c, typeof m === 'function' ? m(i) : m, ok)));
  }

  /** Connects `total` clients, split evenly over the processes; `subscribe` null: connect only. */
  async connect(url: string, headers: Record<string, string>, subscribe: Record<string, unknown> | null, total: number, sample: number): Promise<void> {
    const per = Math.ceil(total / this.children.length);
    await this.all((i) => ({ cmd: 'connect', url, headers, subscribe, n: Math.max(0, Math.min(per, total - i * per)), sample, offset: i * per }), 'connect');
  }

  async record(on: boolean): Promise<void> {
    await this.all({ cmd: 'record', on }, 'record');
  }

  async totals(): Promise<{ activity: number; bytes: number; frames: number }> {
    const t = await this.all<{ activity: number; bytes: number; frames: number }>({ cmd: 'totals' }, 'totals');
    return t.reduce((a, b) => ({ activity: a.activity + b.activity, bytes: a.bytes + b.bytes, frames: a.frames + b.frames }), { activity: 0, bytes: 0, frames: 0 });
  }

  /** Waits until the clients' counts stop moving for `quietMs` (or `maxS` seconds). */
  async drain(maxS: number, quietMs = 2500): Promise<void> {
    let last = -1;
    let since = Date.now();
    const end = Date.now() + maxS * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      const t = await this.totals();
      const sig = t.bytes;
      if (sig !== last) {
        last = sig;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return;
    }
  }

  /** Every client's counters, the checked ones compared with `truth`. */
  async report(truth: Session[] | null): Promise<FleetReport> {
    const parts = await this.all<{ report: FleetReport }>({ cmd: 'report', truth }, 'report');
    return {
      clients: parts.flatMap((p) => p.report.clients),
      latencies: parts.flatMap((p) => p.report.latencies),
      template: parts.find((p) => p.report.template)?.report.template ?? null,
    };
  }

  async close(): Promise<void> {
    await this.all({ cmd: 'close' }, 'close');
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.children.map((c) => c.stop()));
  }
}

export const FLEET_LOG = (results: string) => path.join(results, 'fanout-fleet.log');

if (process.argv.includes('--role') && process.argv[process.argv.indexOf('--role') + 1] === 'fleet') void childMain();
