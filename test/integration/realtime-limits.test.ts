/**
 * A client that does not read cannot grow the server's memory: real sockets whose reading is
 * paused, on an app with a small per-client buffer (VIGIL_CLIENT_BUFFER_BYTES).
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { WebSocket as ServerSocket } from 'ws';
import type { Socket as ServerSioSocket } from 'socket.io';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';

const CLIENT_BUFFER = 64 * 1024;
/** Subscribes sent once the server holds more than CLIENT_BUFFER for the client: each would queue a replay of tens of KB. */
const MORE_SUBSCRIBES = 150;
/** Subscribes are paced under the 50-messages-a-second limit, which would otherwise refuse them and close the client. */
const PACE_MS = 25;
const SESSIONS = 30;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: { VIGIL_CLIENT_BUFFER_BYTES: String(CLIENT_BUFFER) } });
  await t.createUser('vera', { roles: ['viewer'] });
  await t.createUser('carol');
  // a stream with enough in it that each replay from the start is tens of KB
  // a few at a time: one user's sign-ins in flight at once from one address count against its password budget (10)
  for (let i = 0; i < SESSIONS; i += 5) await Promise.all(Array.from({ length: 5 }, () => t.login('carol', 'carol-password')));
});
afterAll(async () => t?.close());

/** Bytes the server holds for one Socket.IO client: engine.io's packet queue plus its WebSocket's send buffer. */
function sioQueuedBytes(s: ServerSioSocket): number {
  const conn = s.conn as unknown as { writeBuffer: Array<{ data?: unknown }>; transport: { socket?: { bufferedAmount: number } } };
  let n = conn.transport.socket?.bufferedAmount ?? 0;
  for (const p of conn.writeBuffer) n += typeof p.data === 'string' ? p.data.length : 0;
  return n;
}

/** Samples `measure` until stopped; returns the largest value seen. */
function sampleMax(measure: () => number): { stop(): number } {
  let max = measure();
  const timer = setInterval(() => (max = Math.max(max, measure())), 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, measure());
    },
  };
}

/**
 * Sends `subscribe` (paced by `pause`) until the server holds more than CLIENT_BUFFER for the
 * client — the kernel absorbs a few MB first, how many varies by machine — then MORE_SUBSCRIBES
 * more. Returns how many were sent.
 */
async function subscribeUntilCongested(subscribe: (n: number) => void, queued: () => number, pause: () => Promise<void>): Promise<number> {
  let n = 0;
  while (queued() <= CLIENT_BUFFER) {
    if (n > 20_000) throw new Error('the server never held more than VIGIL_CLIENT_BUFFER_BYTES for this client');
    subscribe(n++);
    await pause();
  }
  for (let i = 0; i < MORE_SUBSCRIBES; i++) {
    subscribe(n++);
    await pause();
  }
  return n;
}

/** Waits until the server has handled every message `vera` sent before her `activity`. */
async function activityReached(observer: SioClient, sessionId: string): Promise<void> {
  await observer.waitForEvent('session.activity', sessionId, 60_000);
}

describe('a client that stops reading', () => {
  it('over /ws, repeated subscribes while not reading queue nothing more; once it reads again it gets one current snapshot', async () => {
    const observer = new SioClient(t.url, { token: t.adminToken });
    await observer.connected();
    await observer.request('subscribe', { topic: 'sessions' });
    await observer.waitFor((m) => m.type === 'snapshot');

    const vera = await t.login('vera', 'vera-password');
    await sleep(1100); // activity events are coalesced to one a second per session
    const c = new WsClient(`${t.wsUrl}/ws`, { token: vera.token });
    onTestFinished(() => c.ws.terminate()); // a paused client cannot take part in a closing handshake
    await c.waitFor((m) => m.type === 'hello');
    const server = [...t.app.websocketServer.clients][0] as ServerSocket;
    expect(t.app.websocketServer.clients.size).toBe(1);

    (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const sampler = sampleMax(() => server.bufferedAmount);
    const sent = await subscribeUntilCongested(
      (n) => c.send({ type: 'subscribe', topic: 'sessions', since: '0-0', ref: `sub-${n}` }),
      () => server.bufferedAmount,
      async () => {
        await sleep(PACE_MS);
      },
    );
    const during = await t.login('carol', 'carol-password'); // a change the client does not see while it is not reading
    c.send({ type: 'activity' });
    await activityReached(observer, vera.session.id);
    const most = sampler.stop();
    expect(most).toBeLessThan(4 * CLIENT_BUFFER);

    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const snap = await c.waitFor((m) => m.type === 'snapshot', 60_000, 'a snapshot once drained');
    expect(snap).toMatchObject({ topic: 'sessions', resync: true, ref: `sub-${sent - 1}` });
    const listed = (await t.api('GET', '/sessions?limit=500', { token: t.adminToken })).body.sessions.map((s: { id: string }) => s.id);
    expect(snap.sessions.map((s: { id: string }) => s.id).sort()).toEqual(listed.sort());
    expect(listed).toContain(during.session.id);

    // live again, and still answering
    const after = await t.login('carol', 'carol-password');
    await c.waitForEvent('session.started', after.session.id);
    c.send({ type: 'subscribe', topic: 'sessions', ref: 'again' });
    expect(await c.waitFor((m) => m.type === 'snapshot' && m.ref === 'again')).toMatchObject({ resync: false });
    observer.close();
  });

  it('over Socket.IO, repeated subscribes while not reading queue nothing more; once it reads again it gets one current snapshot', async () => {
    const observer = new SioClient(t.url, { token: t.adminToken });
    await observer.connected();
    await observer.request('subscribe', { topic: 'sessions' });
    await observer.waitFor((m) => m.type === 'snapshot');

    const vera = await t.login('vera', 'vera-password');
    await sleep(1100);
    const c = new SioClient(t.url, { token: vera.token });
    onTestFinished(() => c.close());
    await c.waitFor((m) => m.type === 'hello');
    const server = [...t.app.io.sockets.sockets.values()].find((s) => s.handshake.auth.token === vera.token)!;

    const raw = (c.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    raw.pause();
    const sampler = sampleMax(() => sioQueuedBytes(server));
    await subscribeUntilCongested(
      () => c.socket.emit('subscribe', { topic: 'sessions', since: '0-0' }),
      () => sioQueuedBytes(server),
      async () => {
        await sleep(PACE_MS);
      },
    );
    const during = await t.login('carol', 'carol-password');
    c.socket.emit('activity', {});
    await activityReached(observer, vera.session.id);
    const most = sampler.stop();
    expect(most).toBeLessThan(4 * CLIENT_BUFFER);

    raw.resume();
    const snap = await c.waitFor((m) => m.type === 'snapshot', 60_000, 'a snapshot once drained');
    expect(snap).toMatchObject({ topic: 'sessions', resync: true });
    const listed = (await t.api('GET', '/sessions?limit=500', { token: t.adminToken })).body.sessions.map((s: { id: string }) => s.id);
    expect(snap.sessions.map((s: { id: string }) => s.id).sort()).toEqual(listed.sort());
    expect(listed).toContain(during.session.id);

    const after = await t.login('carol', 'carol-password');
    await c.waitForEvent('session.started', after.session.id);
    expect(await c.request('subscribe', { topic: 'sessions' })).toEqual({ ok: true });
    observer.close();
  });
});

describe('message references', () => {
  it('echoes a ref of up to 128 characters and refuses a longer one as a bad message, without echoing it', async () => {
    const key = (await t.api('POST', '/display-keys', { token: t.adminToken, body: {} })).body.displayKey.key;
    const c = new WsClient(`${t.wsUrl}/ws`, { token: key });
    await c.waitFor((m) => m.type === 'hello');
    const fits = 'r'.repeat(128);
    c.send({ type: 'subscribe', topic: 'sessions', ref: fits });
    expect(await c.waitFor((m) => m.type === 'snapshot')).toMatchObject({ ref: fits });

    c.send({ type: 'subscribe', topic: 'sessions', since: '0-0', ref: 'x'.repeat(60_000) });
    c.send({ type: 'subscribe', topic: 'sessions', ref: { nested: true } });
    c.send({ type: 'unsubscribe', topic: 'sessions', ref: 'last' });
    await c.waitFor((m) => m.type === 'ack' && m.ref === 'last');
    const errors = c.messages.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e.code).toBe('VIGIL_ERR_BAD_MESSAGE');
      expect(e).not.toHaveProperty('ref');
    }
    expect(c.messages.filter((m) => m.type === 'snapshot' || m.type === 'synced')).toHaveLength(1);
    c.close();
  });

  it('closes with 1008 a client that keeps sending oversized refs', async () => {
    const key = (await t.api('POST', '/display-keys', { token: t.adminToken, body: {} })).body.displayKey.key;
    const c = new WsClient(`${t.wsUrl}/ws`, { token: key });
    await c.waitFor((m) => m.type === 'hello');
    for (let i = 0; i < 25; i++) c.send({ type: 'subscribe', topic: 'sessions', since: '0-0', ref: 'x'.repeat(60_000) });
    expect((await c.closed).code).toBe(1008);
  });

  it('Socket.IO refuses an oversized ref as a bad message', async () => {
    const sio = new SioClient(t.url, { token: t.adminToken });
    await sio.connected();
    expect(await sio.request('subscribe', { topic: 'sessions', ref: 'x'.repeat(200) })).toMatchObject({ code: 'VIGIL_ERR_BAD_MESSAGE' });
    sio.close();
  });
});
