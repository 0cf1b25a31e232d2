/**
 * The `stats` topic over /ws and Socket.IO: the GET /stats object at once on subscribe, then at
 * most once a second while it changes and never while nothing does; viewer only; unsubscribe
 * stops it; one computation a second per realm however many walls subscribe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';
import type { Stats } from '../../shared/protocol.js';

let t: TestApp;
let displayKey: string;
let alice: { username: string; password: string };

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.createUser('alice');
  const created = await t.api('POST', '/display-keys', { token: t.adminToken, body: { name: 'stats wall' } });
  displayKey = created.body.displayKey.key;
});
afterAll(async () => t?.close());

/** The counters without `serverTime`, which differs with every computation. */
const counters = (s: Stats) => {
  const { serverTime: _, ...rest } = s;
  return rest;
};
const restStats = async (): Promise<Stats> => (await t.api('GET', '/stats', { token: t.adminToken })).body;

/** A /ws client that notes when each `stats` frame arrived. */
async function wsWall(token: string): Promise<{ c: WsClient; arrivals: number[] }> {
  const c = new WsClient(`${t.wsUrl}/ws`, { token });
  const arrivals: number[] = [];
  c.ws.on('message', (d) => {
    if (JSON.parse(d.toString()).type === 'stats') arrivals.push(Date.now());
  });
  await c.waitFor((m) => m.type === 'hello');
  return { c, arrivals };
}
const statsFrames = (c: WsClient | SioClient) => c.messages.filter((m) => m.type === 'stats');
const latest = (c: WsClient | SioClient) => statsFrames(c).at(-1)!.stats as Stats;

/** Signs alice in over and over for `ms`: a change to the counters every ~100 ms. */
async function signInsFor(ms: number): Promise<number> {
  let n = 0;
  for (const end = Date.now() + ms; Date.now() < end; n++) {
    await t.login(alice.username, alice.password);
    await sleep(100);
  }
  return n;
}

describe('the stats topic', () => {
  it('answers at once, over /ws and over Socket.IO, with the object GET /stats answers', async () => {
    const { c: ws } = await wsWall(displayKey);
    const sio = new SioClient(t.url, { token: t.adminToken });
    await sio.connected();
    await sio.waitFor((m) => m.type === 'hello');

    // both clients are connected now: the counters (connectedClients among them) hold still
    ws.send({ type: 'subscribe', topic: 'stats', ref: 'wall' });
    const overWs = await ws.waitFor((m) => m.type === 'stats', 5000);
    expect(overWs).toMatchObject({ type: 'stats', topic: 'stats', ref: 'wall' });
    expect(await sio.request('subscribe', { topic: 'stats' })).toEqual({ ok: true });
    // the ack comes after the answer: the stats frame is there already
    const overSio = statsFrames(sio)[0]!;
    expect(overSio).toMatchObject({ type: 'stats', topic: 'stats' });

    const rest = await restStats();
    expect(rest.connectedClients).toBe(2);
    expect(Object.keys(overWs.stats).sort()).toEqual(Object.keys(rest).sort());
    expect(counters(overWs.stats)).toEqual(counters(rest));
    expect(counters(overSio.stats)).toEqual(counters(rest));
    expect(Math.abs(Date.parse(overWs.stats.serverTime) - Date.now())).toBeLessThan(60_000);
    ws.close();
    sio.close();
  });

  it('pushes the moving counters at most once a second while they change, and nothing while they do not', async () => {
    const { c, arrivals } = await wsWall(displayKey);
    c.send({ type: 'subscribe', topic: 'stats' });
    const first = (await c.waitFor((m) => m.type === 'stats', 5000)).stats as Stats;

    // ~4 s of sign-ins: the counters change many times a second
    const start = Date.now();
    const signIns = await signInsFor(4000);
    const end = Date.now();
    expect(signIns).toBeGreaterThan(8);
    const during = arrivals.filter((at) => at >= start && at <= end);
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during.length).toBeLessThanOrEqual(5);
    // every push, the first included, at least about a second after the one before (1 s on the server; arrival jitter aside)
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThan(900);

    // the pushed counters move, and settle on what GET /stats says
    expect(latest(c).active).toBeGreaterThan(first.active);
    const rest = await restStats();
    expect(rest.active).toBe(first.active + signIns);
    await expect.poll(() => counters(latest(c)), { timeout: 5000, interval: 100 }).toEqual(counters(rest));

    // nothing changes: nothing is pushed
    const settled = statsFrames(c).length;
    await sleep(2500);
    expect(statsFrames(c).length).toBe(settled);

    // and a change after the quiet is pushed again
    await t.login(alice.username, alice.password);
    await c.waitFor((m) => m.type === 'stats' && m.stats.active === rest.active + 1, 5000, 'the next push');
    c.close();
  }, 30_000);

  it('refuses a plain user with VIGIL_ERR_FORBIDDEN, over both transports', async () => {
    const { token } = await t.login(alice.username, alice.password);
    const { c: ws } = await wsWall(token);
    ws.send({ type: 'subscribe', topic: 'stats', ref: 's' });
    expect(await ws.waitFor((m) => m.type === 'error' && m.ref === 's')).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    const sio = new SioClient(t.url, { token });
    await sio.connected();
    expect(await sio.request('subscribe', { topic: 'stats' })).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    await sleep(1500);
    expect(statsFrames(ws)).toEqual([]);
    expect(statsFrames(sio)).toEqual([]);
    ws.close();
    sio.close();
  });

  it('refuses a `since` (the topic has no cursor)', async () => {
    const { c } = await wsWall(displayKey);
    c.send({ type: 'subscribe', topic: 'stats', since: '1-0', ref: 'c' });
    expect(await c.waitFor((m) => m.type === 'error' && m.ref === 'c')).toMatchObject({ code: 'VIGIL_ERR_VALIDATION' });
    c.close();
  });

  it('stops pushing after unsubscribe, over both transports, while a wall still subscribed gets the changes', async () => {
    const { c: still } = await wsWall(displayKey);
    const { c: ws } = await wsWall(displayKey);
    const sio = new SioClient(t.url, { token: displayKey });
    await sio.connected();
    still.send({ type: 'subscribe', topic: 'stats' });
    ws.send({ type: 'subscribe', topic: 'stats' });
    await still.waitFor((m) => m.type === 'stats', 5000);
    await ws.waitFor((m) => m.type === 'stats', 5000);
    expect(await sio.request('subscribe', { topic: 'stats' })).toEqual({ ok: true });

    ws.send({ type: 'unsubscribe', topic: 'stats', ref: 'u' });
    await ws.waitFor((m) => m.type === 'ack' && m.ref === 'u');
    expect(await sio.request('unsubscribe', { topic: 'stats' })).toEqual({ ok: true });
    const [wsBefore, sioBefore, stillBefore] = [statsFrames(ws).length, statsFrames(sio).length, statsFrames(still).length];
    await signInsFor(2500);
    await sleep(1200);
    expect(statsFrames(still).length).toBeGreaterThan(stillBefore);
    expect(statsFrames(ws).length).toBe(wsBefore);
    expect(statsFrames(sio).length).toBe(sioBefore);
    for (const c of [still, ws, sio]) c.close();
  }, 30_000);

  it('costs one computation a second for the realm, however many walls subscribe, and each gets the same counters', async () => {
    const service = t.app.stats;
    const original = service.get;
    let computations = 0;
    service.get = function (this: typeof service, realm: string) {
      computations++;
      return original.call(this, realm);
    };
    try {
      const walls = await Promise.all(Array.from({ length: 20 }, () => wsWall(displayKey)));
      for (const { c } of walls) c.send({ type: 'subscribe', topic: 'stats' });
      await Promise.all(walls.map(({ c }) => c.waitFor((m) => m.type === 'stats', 5000)));
      // twenty subscribes in one burst share a few computations, not one each
      expect(computations).toBeLessThanOrEqual(5);

      computations = 0;
      const start = Date.now();
      await signInsFor(3000);
      const seconds = (Date.now() - start) / 1000;
      expect(computations).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      expect(computations).toBeGreaterThanOrEqual(2);
      await sleep(2500);
      const last = walls.map(({ c }) => JSON.stringify(latest(c)));
      expect(new Set(last).size).toBe(1);
      for (const { c } of walls) c.close();
    } finally {
      service.get = original;
    }
  }, 30_000);
});
