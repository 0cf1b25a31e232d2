/**
 * GET /connections and DELETE /connections/{id} across two nodes of one deployment (two apps on
 * one Redis prefix): each lists the other's real-time connections, and a DELETE asked of one
 * closes a connection held by the other with 4403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, sleep, WsClient } from '../helpers/clients.js';
import { CLOSE, type ConnectionInfo as Conn } from '../../shared/protocol.js';

let a: TestApp;
let b: TestApp;
let aliceToken: string;
let keyId: string;
let displayKey: string;
const started = Date.now();

beforeAll(async () => {
  a = await startTestApp();
  b = await startTestApp({ prefix: a.prefix, noWorker: true });
  await a.createUser('alice');
  aliceToken = (await a.login('alice', 'alice-password')).token;
  const k = await a.api('POST', '/display-keys', { token: a.adminToken, body: { name: 'Lobby wall' } });
  expect(k.status).toBe(201);
  keyId = k.body.displayKey.id;
  displayKey = k.body.displayKey.key;
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

async function list(t: TestApp): Promise<Conn[]> {
  const r = await t.api('GET', '/connections', { token: t.adminToken });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.connections;
}

/** Polls the list asked of `t` until `done` holds (entries are written a tick after a change). */
async function until(t: TestApp, done: (cs: Conn[]) => boolean, what: string): Promise<Conn[]> {
  for (let i = 0; i < 100; i++) {
    const cs = await list(t);
    if (done(cs)) return cs;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(await list(t))}`);
}

describe('GET /connections', () => {
  it('lists a /ws client of one node and a Socket.IO display of the other, asked of either, with their fields', async () => {
    const ws = new WsClient(`${a.wsUrl}/ws`, { token: aliceToken, headers: { 'user-agent': 'conn-test-ws/1' } });
    await ws.waitFor((m) => m.type === 'hello');
    ws.send({ type: 'subscribe', topic: 'self', ref: 1 });
    await ws.waitFor((m) => m.type === 'snapshot');
    const sio = new SioClient(b.url, { token: displayKey, extraHeaders: { 'user-agent': 'conn-test-sio/1' } });
    await sio.connected();
    await sio.request('subscribe', { topic: 'sessions' });
    try {
      for (const t of [a, b]) {
        const cs = await until(t, (cs) => cs.some((c) => c.userAgent === 'conn-test-ws/1' && c.topics.length === 1) && cs.some((c) => c.userAgent === 'conn-test-sio/1' && c.topics.length === 1), 'both clients subscribed');
        const w = cs.find((c) => c.userAgent === 'conn-test-ws/1')!;
        const s = cs.find((c) => c.userAgent === 'conn-test-sio/1')!;
        expect(w).toMatchObject({ transport: 'ws', role: 'user', user: { username: 'alice' }, topics: ['self'], node: a.app.nodeId });
        expect(w.displayKey).toBeUndefined();
        expect(s).toMatchObject({ transport: 'socket.io', role: 'viewer', displayKey: { id: keyId, name: 'Lobby wall' }, topics: ['sessions'], node: b.app.nodeId });
        expect(s.user).toBeUndefined();
        for (const c of [w, s]) {
          expect(c.id).toMatch(/^c_/);
          expect(c.ip).toMatch(/127\.0\.0\.1/);
          expect(Date.parse(c.connectedAt)).toBeGreaterThanOrEqual(started - 1000);
          expect(Date.parse(c.connectedAt)).toBeLessThanOrEqual(Date.now());
        }
      }
      // an unsubscribe shows too
      ws.send({ type: 'unsubscribe', topic: 'self', ref: 2 });
      await until(b, (cs) => cs.some((c) => c.userAgent === 'conn-test-ws/1' && c.topics.length === 0), 'the unsubscribe');
      // and a wall's stats subscription
      await sio.request('subscribe', { topic: 'stats' });
      const walls = await until(a, (cs) => cs.some((c) => c.userAgent === 'conn-test-sio/1' && c.topics.length === 2), 'the stats subscription');
      expect(walls.find((c) => c.userAgent === 'conn-test-sio/1')!.topics.sort()).toEqual(['sessions', 'stats']);
    } finally {
      ws.close();
      sio.close();
    }
  });

  it('is for admins: a viewer gets 403, no credential 401', async () => {
    await a.createUser('vera', { roles: ['viewer'] });
    const { token } = await a.login('vera', 'vera-password');
    const r = await b.api('GET', '/connections', { token });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('VIGIL_ERR_FORBIDDEN');
    expect((await b.api('DELETE', '/connections/c_x', { token })).status).toBe(403);
    const anon = await a.api('GET', '/connections');
    expect(anon.status).toBe(401);
    expect(anon.body.code).toBe('VIGIL_ERR_UNAUTHENTICATED');
    expect((await a.api('DELETE', '/connections/c_x')).status).toBe(401);
  });

  it('a connection closed by its client disappears', async () => {
    const ws = new WsClient(`${b.wsUrl}/ws`, { token: aliceToken, headers: { 'user-agent': 'conn-test-gone/1' } });
    await ws.waitFor((m) => m.type === 'hello');
    await until(a, (cs) => cs.some((c) => c.userAgent === 'conn-test-gone/1'), 'the client listed');
    ws.close();
    await ws.closed;
    await until(a, (cs) => !cs.some((c) => c.userAgent === 'conn-test-gone/1'), 'the client gone');
  });
});

describe('what each node keeps in Redis', () => {
  it('a node that stopped refreshing (SIGKILLed) is not listed, and its index entry is dropped', async () => {
    const { redis, keys } = a.app;
    const ghost = 'ghost-node-1';
    const entry = { id: 'c_ghost', transport: 'ws', role: 'admin', ip: '10.9.9.9', userAgent: 'ghost/1', connectedAt: new Date().toISOString(), topics: [] };
    await redis.hset(keys.nodeConnections(a.realm, ghost), entry.id, JSON.stringify(entry));
    await redis.hset(keys.connectionNodes(a.realm), ghost, String(Date.now()));
    expect((await list(b)).some((c) => c.id === 'c_ghost')).toBe(true); // a fresh node's entries are listed
    await redis.hset(keys.connectionNodes(a.realm), ghost, String(Date.now() - 31_000));
    expect((await list(b)).some((c) => c.id === 'c_ghost')).toBe(false);
    expect((await b.api('DELETE', '/connections/c_ghost', { token: b.adminToken })).status).toBe(404);
    expect(await redis.hexists(keys.connectionNodes(a.realm), ghost)).toBe(0);
    await redis.del(keys.nodeConnections(a.realm, ghost));
  });

  it('a node whose hash was lost writes its connections afresh on its next refresh', async () => {
    const ws = new WsClient(`${b.wsUrl}/ws`, { token: aliceToken, headers: { 'user-agent': 'conn-test-lost/1' } });
    await ws.waitFor((m) => m.type === 'hello');
    try {
      await until(a, (cs) => cs.some((c) => c.userAgent === 'conn-test-lost/1'), 'the client listed');
      await a.app.redis.del(a.app.keys.nodeConnections(a.realm, b.app.nodeId));
      expect((await list(a)).some((c) => c.userAgent === 'conn-test-lost/1')).toBe(false);
      await b.app.connections.refresh(); // what its timer does every 10 s
      expect((await list(a)).some((c) => c.userAgent === 'conn-test-lost/1')).toBe(true);
      expect(await a.app.redis.pttl(a.app.keys.nodeConnections(a.realm, b.app.nodeId))).toBeGreaterThan(0);
    } finally {
      ws.close();
    }
  });
});

describe('DELETE /connections/{id}', () => {
  it('closes a connection held by the other node with 4403, either way round, and it leaves the list', async () => {
    const ws = new WsClient(`${a.wsUrl}/ws`, { token: aliceToken, headers: { 'user-agent': 'conn-test-del-ws/1' } });
    await ws.waitFor((m) => m.type === 'hello');
    const sio = new SioClient(b.url, { token: displayKey, extraHeaders: { 'user-agent': 'conn-test-del-sio/1' } });
    await sio.connected();
    const sioGone = new Promise<string>((r) => sio.socket.once('disconnect', (reason) => r(reason)));
    const cs = await until(a, (cs) => cs.some((c) => c.userAgent === 'conn-test-del-ws/1') && cs.some((c) => c.userAgent === 'conn-test-del-sio/1'), 'both listed');
    const w = cs.find((c) => c.userAgent === 'conn-test-del-ws/1')!;
    const s = cs.find((c) => c.userAgent === 'conn-test-del-sio/1')!;

    // asked of node A, held by node B
    expect((await a.api('DELETE', `/connections/${s.id}`, { token: a.adminToken })).status).toBe(204);
    expect((await sio.waitFor((m) => (m as { code?: number }).code !== undefined, 5000, 'the close event')) as unknown).toMatchObject({ code: CLOSE.FORBIDDEN });
    await sioGone;
    expect((await list(a)).some((c) => c.id === s.id)).toBe(false);
    expect((await list(b)).some((c) => c.id === s.id)).toBe(false);

    // asked of node B, held by node A
    expect((await b.api('DELETE', `/connections/${w.id}`, { token: b.adminToken })).status).toBe(204);
    expect((await ws.closed).code).toBe(CLOSE.FORBIDDEN);
    expect((await list(b)).some((c) => c.id === w.id)).toBe(false);
    // it is gone: a second DELETE finds nothing
    expect((await a.api('DELETE', `/connections/${w.id}`, { token: a.adminToken })).status).toBe(404);
  });

  it('an unknown id is 404 VIGIL_ERR_NOT_FOUND', async () => {
    const r = await a.api('DELETE', '/connections/c_nosuchconnection', { token: a.adminToken });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('VIGIL_ERR_NOT_FOUND');
  });
});
