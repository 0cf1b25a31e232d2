/** Real protocol clients for tests: a raw `ws` client and a socket.io-client, both recording every message. */
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import type { ServerMessage, VigilEvent } from '../../shared/protocol.js';

type Msg = ServerMessage & Record<string, any>;

abstract class Recorder {
  readonly messages: Msg[] = [];
  private waiters: Array<{ match: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  protected record(m: Msg): void {
    this.messages.push(m);
    this.waiters = this.waiters.filter((w) => (w.match(m) ? (w.resolve(m), false) : true));
  }
  /** Resolves with the first message (already received or future) that matches. */
  waitFor(match: (m: Msg) => boolean, timeoutMs = 20_000, what = 'message'): Promise<Msg> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((x) => x.type + (x.events ? ':' + x.events.map((e: VigilEvent) => e.name).join(',') : '')))}`)), timeoutMs);
      this.waiters.push({ match, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }
  /** Every event received so far, in order. */
  events(): VigilEvent[] {
    return this.messages.filter((m) => m.type === 'events').flatMap((m) => m.events as VigilEvent[]);
  }
  waitForEvent(name: string, sessionId?: string, timeoutMs = 20_000): Promise<VigilEvent> {
    const match = (e: VigilEvent) => e.name === name && (!sessionId || e.sessionId === sessionId);
    return this.waitFor((m) => m.type === 'events' && (m.events as VigilEvent[]).some(match), timeoutMs, `event ${name}`).then(
      () => this.events().find(match)!,
    );
  }
}

export class WsClient extends Recorder {
  readonly ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
  constructor(url: string, opts: { token?: string; headers?: Record<string, string> } = {}) {
    super();
    const headers = { ...opts.headers, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) };
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (d) => this.record(JSON.parse(d.toString())));
  }
  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }
  close(): void {
    this.ws.close();
  }
}

export class SioClient extends Recorder {
  readonly socket: Socket;
  constructor(url: string, opts: { token?: string; realm?: string; transports?: string[]; extraHeaders?: Record<string, string> } = {}) {
    super();
    this.socket = io(url, { auth: { token: opts.token, realm: opts.realm }, transports: opts.transports ?? ['websocket'], reconnection: false, extraHeaders: opts.extraHeaders, forceNew: true });
    this.socket.onAny((_event: string, payload: Msg) => this.record(payload));
  }
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', (err: Error & { data?: unknown }) => reject(Object.assign(err, { data: err.data })));
    });
  }
  request(type: string, payload: Record<string, unknown> = {}): Promise<any> {
    return this.socket.timeout(20_000).emitWithAck(type, payload);
  }
  close(): void {
    this.socket.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
