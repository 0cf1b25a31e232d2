/**
 * A lean `ws` subscriber for benchmarks: connects to /ws with a bearer token, subscribes a
 * topic and hands every event batch to a callback with the local receipt time, taken before
 * parsing so that the client's own JSON work does not count against the server.
 */
import WebSocket from 'ws';
import type { VigilEvent } from '../../shared/protocol.js';

export interface SubscriberStats {
  frames: number;
  events: number;
  snapshots: number;
  resyncs: number;
  bytes: number;
}

export class BenchSubscriber {
  readonly ws: WebSocket;
  readonly stats: SubscriberStats = { frames: 0, events: 0, snapshots: 0, resyncs: 0, bytes: 0 };
  private snapshotWaiters: Array<() => void> = [];
  private syncWaiters: Array<(how: 'synced' | 'snapshot') => void> = [];
  closed: Promise<{ code: number; reason: string }>;

  constructor(wsUrl: string, token: string, private readonly onEvents: (events: VigilEvent[], receivedAt: number) => void) {
    this.ws = new WebSocket(`${wsUrl}/ws`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data: Buffer) => {
      const receivedAt = Date.now();
      this.stats.frames++;
      this.stats.bytes += data.length;
      const msg = JSON.parse(data.toString()) as { type: string; events?: VigilEvent[]; resync?: boolean };
      if ((msg.type === 'synced' || msg.type === 'snapshot') && this.syncWaiters.length) {
        const w = this.syncWaiters;
        this.syncWaiters = [];
        w.forEach((f) => f(msg.type as 'synced' | 'snapshot'));
      }
      if (msg.type === 'events' && msg.events) {
        this.stats.events += msg.events.length;
        this.onEvents(msg.events, receivedAt);
      } else if (msg.type === 'snapshot') {
        this.stats.snapshots++;
        if (msg.resync) this.stats.resyncs++;
        const w = this.snapshotWaiters;
        this.snapshotWaiters = [];
        w.forEach((f) => f());
      }
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  /** Subscribes and resolves once the first snapshot arrived (the subscription is live then). */
  async subscribe(topic: 'sessions' | 'self'): Promise<void> {
    await this.opened();
    const got = new Promise<void>((resolve) => this.snapshotWaiters.push(resolve));
    this.ws.send(JSON.stringify({ type: 'subscribe', topic }));
    await got;
  }

  /**
   * Subscribes from a cursor: the server replays every event after `since` (through the same
   * callback), then says `synced`. Resolves 'synced', or 'snapshot' when the cursor was no
   * longer in the stream and a resync snapshot came instead.
   */
  async resume(topic: 'sessions' | 'self', since: string): Promise<'synced' | 'snapshot'> {
    await this.opened();
    const got = new Promise<'synced' | 'snapshot'>((resolve) => this.syncWaiters.push(resolve));
    this.ws.send(JSON.stringify({ type: 'subscribe', topic, since }));
    return got;
  }

  close(): void {
    this.ws.close();
  }
}
