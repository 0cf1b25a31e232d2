/**
 * Vigil on a Sentinel deployment (a master, a replica and three sentinels on loopback, started
 * by this file): the master is SIGKILLed; the sentinels promote the replica and Vigil follows by
 * itself — requests fail fast (503) meanwhile rather than hang, then the service is back within
 * the bound of 30 s with every session made before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinel, type TestSentinel } from '../helpers/topology.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient, sleep } from '../helpers/clients.js';

let sentinel: TestSentinel;
let t: TestApp;

beforeAll(async () => {
  sentinel = await startSentinel();
  t = await startTestApp({
    redisUrl: sentinel.sentinelUrls.join(','),
    env: { VIGIL_REDIS_MODE: 'sentinel', VIGIL_REDIS_SENTINEL_MASTER: sentinel.name },
    policy: { expiryPromptSeconds: 5 },
  });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sentinel?.stop();
});

describe('a Sentinel failover', () => {
  it('SIGKILL of the master: answers meanwhile without hanging, back within 30 s through the promoted replica, sessions made before still there', async () => {
    const user = (await t.app.users.byUsername('default', 'admin'))!;
    const made = await Promise.all(Array.from({ length: 100 }, () => t.app.engine.start({ realm: 'default', kind: 'console', user, idleTimeout: 3600, ip: '127.0.0.1', userAgent: 'sentinel' })));
    const soon = await t.app.engine.start({ realm: 'default', kind: 'console', user, idleTimeout: 15, ip: '127.0.0.1', userAgent: 'soon' });
    // acknowledged by the replica before the master dies (what Sentinel can promise)
    expect(Number(await t.app.redis.call('WAIT', 1, 5000))).toBe(1);

    const sub = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await sub.opened;
    sub.send({ type: 'subscribe', topic: 'sessions' });
    await sub.waitFor((m) => m.type === 'snapshot');

    const oldMaster = sentinel.master;
    await sentinel.kill(oldMaster.port, 'SIGKILL');
    const killedAt = Date.now();

    // meanwhile every request is answered (a 503 or, once promoted, a 200) within the 2 s budget
    let back = false;
    let unavailable = 0;
    while (!back) {
      expect(Date.now() - killedAt, 'service back within 30 s').toBeLessThan(30_000);
      const r = await t.api('GET', '/sessions?limit=1000', { token: t.adminToken, timeoutMs: 5000 });
      expect([200, 503]).toContain(r.status);
      if (r.status === 503) unavailable++;
      back = r.status === 200 && made.every((m) => r.body.sessions.some((s: { id: string }) => s.id === m.session.id));
      if (!back) await sleep(250);
    }
    expect(unavailable).toBeGreaterThan(0);
    console.info(`sentinel failover: service back ${Date.now() - killedAt} ms after the SIGKILL, ${unavailable} answers 503 meanwhile`);
    const promoted = await sentinel.waitForSentinelPromotion(oldMaster);
    expect(promoted.port).not.toBe(oldMaster.port);

    // writes work again, and the timers fire through the new master
    const login = await t.login();
    expect(login.session.id).toBeTruthy();
    await sub.waitForEvent('session.warning', soon.session.id, 40_000);
    expect(sub.events().filter((e) => e.sessionId === soon.session.id && e.name === 'session.warning')).toHaveLength(1);
    sub.close();
  }, 120_000);
});
