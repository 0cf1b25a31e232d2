/** The wall display's counters: exact through start, warning, extend, termination and expiry. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient } from '../helpers/clients.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ policy: { expiryPromptSeconds: 10 } });
  await t.createUser('alice', { tokenLifetime: 30 });
});
afterAll(async () => t?.close());

const stats = async () => (await t.api('GET', '/stats', { token: t.adminToken })).body;

describe('GET /stats', () => {
  it('counts live sessions by kind and in warning, and the last hour\'s events, exactly', async () => {
    expect(await stats()).toMatchObject({ active: 1, warning: 0, byKind: { console: 1, sso: 0, offline: 0 } });
    const a = await t.login('alice', 'alice-password');
    const b = await t.login('alice', 'alice-password');
    const watcher = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await watcher.opened;
    watcher.send({ type: 'subscribe', topic: 'sessions' });
    await watcher.waitFor((m) => m.type === 'snapshot');
    const s1 = await stats();
    expect(s1).toMatchObject({ active: 3, warning: 0, byKind: { console: 3 }, lastHour: { logins: 3, started: 3 } });
    expect(s1.connectedClients).toBeGreaterThanOrEqual(1);

    await watcher.waitForEvent('session.warning', a.session.id, 60_000);
    await watcher.waitForEvent('session.warning', b.session.id, 10_000);
    expect(await stats()).toMatchObject({ active: 3, warning: 2 });

    await t.api('POST', '/sessions/current/extend', { token: a.token });
    expect((await stats()).warning).toBe(1);
    await t.api('DELETE', `/sessions/${b.session.id}`, { token: t.adminToken });
    expect(await stats()).toMatchObject({ active: 2, warning: 0, byKind: { console: 2 }, lastHour: { terminated: 1 } });
    watcher.close();
  }, 90_000);

  it('stays exact when one timer check warns and expires dozens of sessions at once', async () => {
    const alice = await t.app.users.byUsername('default', 'alice');
    const before = await stats();
    // SSO sessions with a 12 s idle limit and the realm's 10 s prompt: 40 warnings due together, then 40 expiries
    await Promise.all(Array.from({ length: 40 }, () => t.app.engine.start({ realm: 'default', kind: 'sso', user: { id: alice!.id, username: 'alice' }, idleTimeout: 12, ip: '127.0.0.1', userAgent: 'storm' })));
    const until = async (ok: (s: any) => boolean, ms: number) => {
      const end = Date.now() + ms;
      for (;;) {
        const s = await stats();
        if (ok(s) || Date.now() > end) return s;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const warned = await until((s) => s.warning === before.warning + 40, 20_000);
    expect(warned).toMatchObject({ active: before.active + 40, warning: before.warning + 40, byKind: { sso: before.byKind.sso + 40 }, lastHour: { started: before.lastHour.started + 40 } });
    const after = await until((s) => s.lastHour.expired === before.lastHour.expired + 40, 30_000);
    expect(after).toMatchObject({ active: before.active, warning: before.warning, byKind: { sso: before.byKind.sso }, lastHour: { expired: before.lastHour.expired + 40 } });
  }, 60_000);
});
