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
});
