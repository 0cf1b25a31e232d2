/**
 * Server-side idle timers: warning then expiry, pushed on time to every subscriber, over both
 * transports; activity, warning-state activity and extend. Real BullMQ timers, short lifetimes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ policy: { expiryPromptSeconds: 5 } });
  await t.createUser('alice', { tokenLifetime: 30 });
  await t.createUser('bob', { tokenLifetime: 30 });
  await t.createUser('carol', { tokenLifetime: 30 });
  await t.createUser('dave', { tokenLifetime: 30 });
});
afterAll(async () => t?.close());

// each test has its own user and waits on real timers, so they run side by side
describe.concurrent('a console session with token lifetime 30 s and a 5 s prompt', () => {
  it('warns when the lifetime is exceeded, expires 5 s later, to a self ws and a sessions Socket.IO subscriber, then refuses its token', async () => {
    const { token, session } = await t.login('alice', 'alice-password');
    expect(session.idleTimeout).toBe(30);
    expect(Date.parse(session.expiresAt) - Date.parse(session.warnAt)).toBe(5000);
    expect(Date.parse(session.warnAt) - Date.parse(session.lastActivityAt)).toBe(30_000);

    const self = new WsClient(`${t.wsUrl}/ws`, { token });
    await self.opened;
    self.send({ type: 'subscribe', topic: 'self' });
    await self.waitFor((m) => m.type === 'snapshot');

    const viewer = new SioClient(t.url, { token: t.adminToken });
    await viewer.connected();
    const snap = await new Promise<any>((resolve) => {
      viewer.socket.once('snapshot', resolve);
      void viewer.request('subscribe', { topic: 'sessions' });
    });
    expect(snap.sessions.map((s: any) => s.id)).toContain(session.id);

    const warning = await self.waitForEvent('session.warning', session.id, 60_000);
    expect(warning.data).toMatchObject({ reason: 'idle', idleTimeout: 30, expiresAt: session.expiresAt });
    expect(Date.parse(warning.at)).toBeGreaterThanOrEqual(Date.parse(session.warnAt));
    expect(warning.session?.state).toBe('warning');

    const expired = await self.waitForEvent('session.expired', session.id, 30_000);
    expect(expired.data).toEqual({ reason: 'idle' });
    expect(Date.parse(expired.at)).toBeGreaterThanOrEqual(Date.parse(session.expiresAt));
    expect((await self.closed).code).toBe(4401);

    await viewer.waitForEvent('session.expired', session.id, 10_000);
    const names = viewer.events().filter((e) => e.sessionId === session.id).map((e) => e.name);
    expect(names.indexOf('session.warning')).toBeLessThan(names.indexOf('session.expired'));
    viewer.close();

    const me = await t.api('GET', '/me', { token });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('VIGIL_ERR_UNAUTHENTICATED');
  }, 90_000);

  it('postpones the warning on activity before it', async () => {
    const { token, session } = await t.login('bob', 'bob-password');
    await sleep(10_000);
    expect((await t.api('POST', '/sessions/current/activity', { token })).status).toBe(204);
    const after = (await t.api('GET', '/me', { token })).body.session;
    expect(Date.parse(after.warnAt)).toBeGreaterThanOrEqual(Date.parse(session.warnAt) + 9000);
    const self = new WsClient(`${t.wsUrl}/ws`, { token });
    await self.opened;
    self.send({ type: 'subscribe', topic: 'self' });
    const warning = await self.waitForEvent('session.warning', session.id, 60_000);
    expect(Date.parse(warning.at)).toBeGreaterThanOrEqual(Date.parse(after.warnAt));
    self.close();
  }, 90_000);

  it('ignores activity during the warning, but Extend Session resets the counter', async () => {
    const { token, session } = await t.login('carol', 'carol-password');
    const self = new WsClient(`${t.wsUrl}/ws`, { token });
    await self.opened;
    self.send({ type: 'subscribe', topic: 'self' });
    await self.waitForEvent('session.warning', session.id, 60_000);

    self.send({ type: 'activity', ref: 1 });
    await self.waitFor((m) => m.type === 'ack' && m.ref === 1);
    expect((await t.api('POST', '/sessions/current/activity', { token })).status).toBe(204);
    const during = (await t.api('GET', '/me', { token })).body.session;
    expect(during.state).toBe('warning');
    expect(during.expiresAt).toBe(session.expiresAt);

    const ext = await t.api('POST', '/sessions/current/extend', { token });
    expect(ext.status).toBe(200);
    expect(ext.body.session.state).toBe('active');
    expect(Date.parse(ext.body.session.expiresAt)).toBeGreaterThan(Date.parse(session.expiresAt));
    await self.waitForEvent('session.extended', session.id);
    await sleep(Date.parse(session.expiresAt) - Date.now() + 1500);
    expect((await t.api('GET', '/me', { token })).status).toBe(200);
    expect(self.events().some((e) => e.name === 'session.expired')).toBe(false);
    self.close();
  }, 90_000);

  it('extends from a raw WebSocket extend message, and every tab of the session sees it', async () => {
    const { token, session } = await t.login('dave', 'dave-password');
    const tab1 = new WsClient(`${t.wsUrl}/ws`, { token });
    const tab2 = new SioClient(t.url, { token });
    await Promise.all([tab1.opened, tab2.connected()]);
    tab1.send({ type: 'subscribe', topic: 'self' });
    await tab2.request('subscribe', { topic: 'self' });
    await Promise.all([tab1.waitForEvent('session.warning', session.id, 60_000), tab2.waitForEvent('session.warning', session.id, 60_000)]);
    tab1.send({ type: 'extend', ref: 'x' });
    const ack = await tab1.waitFor((m) => m.type === 'ack' && m.ref === 'x');
    expect(ack.session.state).toBe('active');
    await tab2.waitForEvent('session.extended', session.id);
    tab1.close();
    tab2.close();
  }, 90_000);
});
