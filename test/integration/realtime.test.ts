/** The real-time protocol over raw WebSocket and Socket.IO: auth, topics, resume, limits. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  for (const u of ['alice', 'bob', 'carol']) await t.createUser(u);
  await t.createUser('vera', { roles: ['viewer'] });
  await t.createUser('victor', { roles: ['viewer'] });
});
afterAll(async () => t?.close());

async function selfSocket(token: string): Promise<WsClient> {
  const c = new WsClient(`${t.wsUrl}/ws`, { token });
  await c.opened;
  c.send({ type: 'subscribe', topic: 'self' });
  await c.waitFor((m) => m.type === 'snapshot');
  return c;
}

describe('raw WebSocket authentication', () => {
  it('says hello with the server time, role, realm and session id', async () => {
    const { token, session } = await t.login('alice', 'alice-password');
    const c = new WsClient(`${t.wsUrl}/ws`, { token });
    const hello = await c.waitFor((m) => m.type === 'hello');
    expect(hello).toMatchObject({ protocol: 1, role: 'user', realm: 'default', sessionId: session.id });
    expect(Math.abs(Date.parse(hello.serverTime) - Date.now())).toBeLessThan(60_000);
    c.close();
  });

  it('accepts a first auth message, and closes 4401 on a bad token', async () => {
    const { token } = await t.login('alice', 'alice-password');
    const c = new WsClient(`${t.wsUrl}/ws`);
    await c.opened;
    c.send({ type: 'auth', token });
    await c.waitFor((m) => m.type === 'hello');
    c.close();

    const bad = new WsClient(`${t.wsUrl}/ws`);
    await bad.opened;
    bad.send({ type: 'auth', token: 'vs_not-a-token' });
    expect((await bad.waitFor((m) => m.type === 'error')).code).toBe('VIGIL_ERR_UNAUTHENTICATED');
    expect((await bad.closed).code).toBe(4401);
  });

  it('closes 4401 when no auth message arrives within 10 s', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`);
    await c.opened;
    expect((await c.closed).code).toBe(4401);
  }, 20_000);

  it('refuses a cookie-authenticated upgrade from a foreign origin, allows its own', async () => {
    const { token } = await t.login('alice', 'alice-password');
    const evil = new WsClient(`${t.wsUrl}/ws`, { headers: { cookie: `vigil_session=${token}`, origin: 'https://evil.example' } });
    await expect(evil.opened).rejects.toThrow('403');
    const good = new WsClient(`${t.wsUrl}/ws`, { headers: { cookie: `vigil_session=${token}`, origin: t.url } });
    await good.waitFor((m) => m.type === 'hello');
    good.close();
  });

  it('refuses an unknown bearer token at the upgrade with 401', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`, { token: 'vs_bogus' });
    await expect(c.opened).rejects.toThrow('401');
  });
});

describe('topics and roles', () => {
  it('forbids the sessions topic to a plain user and self to a display key', async () => {
    const { token } = await t.login('alice', 'alice-password');
    const c = new WsClient(`${t.wsUrl}/ws`, { token });
    await c.opened;
    c.send({ type: 'subscribe', topic: 'sessions', ref: 7 });
    expect(await c.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN', ref: 7 });
    c.close();

    const key = (await t.api('POST', '/display-keys', { token: t.adminToken, body: {} })).body.displayKey.key;
    const wall = new SioClient(t.url, { token: key });
    await wall.connected();
    expect(await wall.request('subscribe', { topic: 'self' })).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    expect(await wall.request('subscribe', { topic: 'sessions' })).toEqual({ ok: true });
    expect(await wall.request('activity')).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    wall.close();
  });

  it('each event carries its session exactly as GET /sessions/{id} shows it at that moment, and the stream keeps no token hash', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await c.opened;
    c.send({ type: 'subscribe', topic: 'sessions' });
    await c.waitFor((m) => m.type === 'snapshot');
    const { token, session } = await t.login('carol', 'carol-password');
    const eventOf = async (name: string) => {
      const m = await c.waitFor((x) => x.type === 'events' && x.events.some((e: any) => e.name === name && e.sessionId === session.id));
      return m.events.find((e: any) => e.name === name && e.sessionId === session.id);
    };
    const now = async () => (await t.api('GET', `/sessions/${session.id}`, { token: t.adminToken })).body.session;
    const started = await eventOf('session.started');
    expect(started.session).toEqual({ ...(await now()), current: false });
    await sleep(1100);
    await t.api('POST', '/sessions/current/activity', { token });
    const activity = await eventOf('session.activity');
    expect(activity.session).toEqual({ ...(await now()), current: false });
    const raw = await t.app.redis.xrange(t.app.keys.events('default'), started.id, started.id);
    expect(JSON.stringify(raw)).not.toContain((await t.app.redis.hget(t.app.keys.session('default', session.id), 'th'))!);
    c.close();
  });

  it('does not count reads or an open stream as activity', async () => {
    const { token, session } = await t.login('carol', 'carol-password');
    const c = await selfSocket(token);
    await sleep(1200);
    await t.api('GET', '/me', { token });
    await t.api('GET', '/sessions', { token });
    const s = (await t.api('GET', '/me', { token })).body.session;
    expect(s.lastActivityAt).toBe(session.lastActivityAt);
    c.send({ type: 'activity' });
    await c.waitForEvent('session.activity', session.id);
    c.close();
  });

  it('disconnects a display key\'s walls when the key is revoked', async () => {
    const k = (await t.api('POST', '/display-keys', { token: t.adminToken, body: {} })).body.displayKey;
    const wall = new WsClient(`${t.wsUrl}/ws`, { token: k.key });
    await wall.opened;
    wall.send({ type: 'subscribe', topic: 'sessions' });
    await wall.waitFor((m) => m.type === 'snapshot');
    await t.api('DELETE', `/display-keys/${k.id}`, { token: t.adminToken });
    expect((await wall.closed).code).toBe(4401);
  });

  it('demoting a user closes his open connections with 4000 (reconnect); reconnected, he has his new role', async () => {
    const { token } = await t.login('victor', 'victor-password');
    const ws = new WsClient(`${t.wsUrl}/ws`, { token });
    await ws.opened;
    ws.send({ type: 'subscribe', topic: 'sessions' });
    await ws.waitFor((m) => m.type === 'snapshot');
    const sio = new SioClient(t.url, { token });
    await sio.connected();
    expect(await sio.request('subscribe', { topic: 'sessions' })).toEqual({ ok: true });
    const sioGone = new Promise<string>((resolve) => sio.socket.once('disconnect', resolve));
    const bystander = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await bystander.opened;
    bystander.send({ type: 'subscribe', topic: 'sessions' });
    await bystander.waitFor((m) => m.type === 'snapshot');

    expect((await t.api('PATCH', '/users/victor', { token: t.adminToken, body: { roles: ['user'] } })).status).toBe(200);
    expect((await ws.closed).code).toBe(4000);
    expect(await sioGone).toBe('io server disconnect');
    expect(sio.messages).toContainEqual({ code: 4000, reason: expect.any(String) });
    const e = await bystander.waitForEvent('user.updated');
    expect(e.data).toMatchObject({ username: 'victor', fields: ['roles'] });
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
    bystander.close();

    const again = new WsClient(`${t.wsUrl}/ws`, { token });
    expect(await again.waitFor((m) => m.type === 'hello')).toMatchObject({ role: 'user' });
    again.send({ type: 'subscribe', topic: 'sessions', ref: 'denied' });
    expect(await again.waitFor((m) => m.ref === 'denied')).toMatchObject({ type: 'error', code: 'VIGIL_ERR_FORBIDDEN' });
    again.close();
    const sioAgain = new SioClient(t.url, { token });
    expect(await sioAgain.waitFor((m) => m.type === 'hello')).toMatchObject({ role: 'user' });
    expect(await sioAgain.request('subscribe', { topic: 'sessions' })).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    sioAgain.close();
  });
});

describe('connecting while Redis fails', () => {
  it('a client whose realm cannot be followed is closed with 1011, and the realm is followed once Redis answers again', async () => {
    const realm = 'unreadable';
    const created = await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm, admin: { username: 'root', password: 'root-password' } } });
    expect(created.status).toBe(201);
    const signIn = () => t.api('POST', `/api/v1/realms/${realm}/login`, { body: { username: 'root', password: 'root-password' } }).then((r) => r.body);
    const { token } = await signIn();
    // the realm's event stream answers every read with an error (WRONGTYPE)
    const { redis, keys } = t.app;
    const stream = keys.events(realm);
    await redis.rename(stream, `${stream}:aside`);
    await redis.set(stream, 'not a stream');

    const ws = new WsClient(`${t.wsUrl}/ws?realm=${realm}`, { token });
    expect((await ws.closed).code).toBe(1011);
    expect(ws.messages.some((m) => m.type === 'hello')).toBe(false);
    const sio = new SioClient(t.url, { token, realm });
    const sioGone = new Promise<string>((resolve) => sio.socket.once('disconnect', resolve));
    expect(await sioGone).toBe('io server disconnect');
    expect(sio.messages).toContainEqual({ code: 1011, reason: expect.any(String) });

    await redis.del(stream);
    await redis.rename(`${stream}:aside`, stream);
    const c = new WsClient(`${t.wsUrl}/ws?realm=${realm}`, { token });
    await c.waitFor((m) => m.type === 'hello');
    c.send({ type: 'subscribe', topic: 'sessions' });
    await c.waitFor((m) => m.type === 'snapshot');
    const later = await signIn();
    await c.waitForEvent('session.started', later.session.id);
    c.close();
  });
});

describe('terminations reach the affected sockets', () => {
  it('terminating a session delivers session.terminated to its self socket, then closes it with 4401', async () => {
    const { token, session } = await t.login('alice', 'alice-password');
    const c = await selfSocket(token);
    const sio = new SioClient(t.url, { token });
    await sio.connected();
    await sio.request('subscribe', { topic: 'self' });
    const disconnected = new Promise((r) => sio.socket.once('disconnect', r));
    expect((await t.api('DELETE', `/sessions/${session.id}`, { token: t.adminToken })).status).toBe(204);
    const e = await c.waitForEvent('session.terminated', session.id);
    expect(e.data).toEqual({ reason: 'admin', by: { username: 'admin' } });
    expect((await c.closed).code).toBe(4401);
    await sio.waitForEvent('session.terminated', session.id);
    await disconnected;
  });

  it('terminate-others reaches every other session of the user; the survivor keeps working', async () => {
    const keep = await t.login('bob', 'bob-password');
    const other1 = await t.login('bob', 'bob-password');
    const other2 = await t.login('bob', 'bob-password');
    const [k, o1, o2] = await Promise.all([selfSocket(keep.token), selfSocket(other1.token), selfSocket(other2.token)]);
    const r = await t.api('POST', '/sessions/terminate-others', { token: keep.token });
    expect(r.body.terminated).toBe(2);
    for (const [c, s] of [[o1, other1], [o2, other2]] as const) {
      expect((await c.waitForEvent('session.terminated', s.session.id)).data).toMatchObject({ reason: 'others' });
      expect((await c.closed).code).toBe(4401);
    }
    k.send({ type: 'activity', ref: 'still-here' });
    expect(await k.waitFor((m) => m.ref === 'still-here')).toMatchObject({ type: 'ack', ok: true });
    expect(k.ws.readyState).toBe(WebSocket.OPEN);
    k.close();
  });
});

describe('resume', () => {
  it('a subscriber that reconnects with since receives exactly the events it missed, none twice', async () => {
    const viewer = await t.login('vera', 'vera-password');
    const first = new WsClient(`${t.wsUrl}/ws`, { token: viewer.token });
    await first.opened;
    first.send({ type: 'subscribe', topic: 'sessions' });
    await first.waitFor((m) => m.type === 'snapshot');
    const a = await t.login('carol', 'carol-password');
    await first.waitForEvent('session.started', a.session.id);
    const cursor = first.events().at(-1)!.id;
    first.close();
    await first.closed;

    // while disconnected
    const b = await t.login('carol', 'carol-password');
    await t.api('DELETE', `/sessions/${a.session.id}`, { token: t.adminToken });

    const second = new WsClient(`${t.wsUrl}/ws`, { token: viewer.token });
    await second.opened;
    second.send({ type: 'subscribe', topic: 'sessions', since: cursor, ref: 'r' });
    const synced = await second.waitFor((m) => m.type === 'synced');
    expect(synced.ref).toBe('r');
    const replayed = second.events();
    expect(replayed.some((e) => e.name === 'session.started' && e.sessionId === b.session.id)).toBe(true);
    expect(replayed.some((e) => e.name === 'session.terminated' && e.sessionId === a.session.id)).toBe(true);
    expect(replayed.some((e) => e.id === cursor)).toBe(false);
    expect(synced.cursor).toBe(replayed.at(-1)!.id);

    // then live, still without duplicates
    const c = await t.login('carol', 'carol-password');
    await second.waitForEvent('session.started', c.session.id);
    const ids = second.events().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids.slice().sort());
    second.close();
  });

  it('over Socket.IO too, and a cursor that is not in the stream gets a resync snapshot', async () => {
    const sio = new SioClient(t.url, { token: t.adminToken });
    await sio.connected();
    await sio.request('subscribe', { topic: 'sessions', since: '99999999999999-0' });
    const snap = await sio.waitFor((m) => m.type === 'snapshot');
    expect(snap.resync).toBe(true);
    expect(snap.sessions.length).toBeGreaterThan(0);
    expect(await sio.request('subscribe', { topic: 'sessions', since: 'garbage' })).toMatchObject({ code: 'VIGIL_ERR_VALIDATION' });
    sio.close();
  });
});

describe('limits', () => {
  it('answers malformed and unknown messages with VIGIL_ERR_BAD_MESSAGE and keeps the connection', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await c.waitFor((m) => m.type === 'hello');
    c.send('{nope');
    c.send({ type: 'dance', ref: 3 });
    c.send('[1]');
    await c.waitFor((m) => m.type === 'error' && m.ref === 3);
    expect(c.messages.filter((m) => m.type === 'error').every((m) => m.code === 'VIGIL_ERR_BAD_MESSAGE')).toBe(true);
    c.send({ type: 'subscribe', topic: 'sessions' });
    await c.waitFor((m) => m.type === 'snapshot');
    c.close();
  });

  it('closes with 1008 after more than 20 bad messages a minute', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await c.opened;
    for (let i = 0; i < 25; i++) c.send('bad');
    expect((await c.closed).code).toBe(1008);
  });

  it('closes with 1009 on a frame over 64 KiB, and the server keeps serving', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await c.opened;
    c.send(JSON.stringify({ type: 'activity', pad: 'x'.repeat(70 * 1024) }));
    expect((await c.closed).code).toBe(1009);
    const d = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await d.waitFor((m) => m.type === 'hello');
    d.close();
  });

  it('Socket.IO answers unknown events with an error ack', async () => {
    const sio = new SioClient(t.url, { token: t.adminToken });
    await sio.connected();
    expect(await sio.request('dance', {})).toMatchObject({ code: 'VIGIL_ERR_BAD_MESSAGE' });
    expect(await sio.request('unsubscribe', { topic: 'nope' })).toMatchObject({ code: 'VIGIL_ERR_VALIDATION' });
    sio.close();
  });

  it('Socket.IO refuses a missing or bad credential at connect', async () => {
    const anon = new SioClient(t.url, {});
    await expect(anon.connected()).rejects.toMatchObject({ data: { code: 'VIGIL_ERR_UNAUTHENTICATED' } });
    anon.close();
    const polling = new SioClient(t.url, { token: t.adminToken, transports: ['polling'] });
    await polling.connected();
    await polling.waitFor((m) => m.type === 'hello');
    polling.close();
  });

  it('a client that stops reading gets no more events while congested, then one resync snapshot when drained', async () => {
    // The kernel absorbs tens of MB on loopback before a paused socket backs up, so the hub is
    // driven directly, with a client whose congestion this test controls.
    const { hub } = t.app;
    const frames: any[] = [];
    let congested = false;
    const client = {
      id: -1, transport: 'ws' as const,
      principal: { realm: 'default', roles: ['viewer' as const], role: 'viewer' as const, user: null, sessionId: null, displayKeyId: 'test', sessionOnly: false, expiresAt: null, tokenId: null },
      send: (f: any) => frames.push(f.message), congested: () => congested, close: () => {},
    };
    await hub.attach(client);
    await hub.subscribe(client, 'sessions', undefined, undefined);
    expect(frames[0]).toMatchObject({ type: 'snapshot', resync: false });
    const a = await t.login('carol', 'carol-password');
    await vi.waitFor(() => expect(frames.some((f) => f.type === 'events' && f.events.some((e: any) => e.sessionId === a.session.id))).toBe(true));

    congested = true;
    const sent = frames.length;
    const during = [];
    for (let i = 0; i < 20; i++) during.push(await t.login('carol', 'carol-password'));
    await sleep(500);
    expect(frames.length).toBe(sent); // nothing queued for it

    congested = false;
    // one resync snapshot (live events may follow it at once)
    const resyncs = () => frames.slice(sent).filter((f) => f.type === 'snapshot');
    await vi.waitFor(() => expect(resyncs()[0]).toMatchObject({ type: 'snapshot', resync: true }), { timeout: 5000 });
    await sleep(300);
    expect(resyncs()).toHaveLength(1);
    const ids = resyncs()[0].sessions.map((s: any) => s.id);
    for (const d of during) expect(ids).toContain(d.session.id);
    const after = await t.login('carol', 'carol-password');
    await vi.waitFor(() => expect(frames.at(-1)).toMatchObject({ type: 'events', events: [expect.objectContaining({ sessionId: after.session.id })] }));
    expect((await t.api('GET', '/metrics')).body).toMatch(/vigil_slow_client_resyncs_total [1-9]/);
    hub.detach(client);
  });
});

describe('shutdown', () => {
  it('closes raw WebSockets with 1001 (going away) and disconnects Socket.IO clients from the server side', async () => {
    const other = await startTestApp();
    const ws = new WsClient(`${other.wsUrl}/ws`, { token: other.adminToken });
    await ws.waitFor((m) => m.type === 'hello');
    const sio = new SioClient(other.url, { token: other.adminToken });
    await sio.connected();
    const sioGone = new Promise<string>((resolve) => sio.socket.once('disconnect', resolve));
    await other.close();
    expect(await ws.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await sioGone).toBe('io server disconnect');
  });
});
