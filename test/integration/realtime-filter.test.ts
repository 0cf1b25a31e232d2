/**
 * `sessions` subscriptions with a filter (CONTRACT.md, Real-time protocol): the snapshot and
 * the events cover only matching sessions — by user, by kind, by client — live, on resume and
 * over both transports; a bad filter is a clear validation error and the connection stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';
import type { VigilEvent } from '../../shared/protocol.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('alice');
  await t.createUser('bob');
});
afterAll(async () => t?.close());

async function subscribe(filter: unknown, since?: string) {
  const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
  await c.opened;
  c.send({ type: 'subscribe', topic: 'sessions', filter, ...(since ? { since } : {}), ref: 'f' });
  return c;
}

/** A single-sign-on session of `username` through `clientId`, as the OIDC provider starts them. */
async function ssoSession(username: string, clientId: string) {
  const user = (await t.app.users.byUsername('default', username))!;
  return (await t.app.engine.start({ realm: 'default', kind: 'sso', user, clientId, idleTimeout: 1800, ip: '127.0.0.1', userAgent: 'filter-test' })).session;
}

const sessionEvents = (c: WsClient | SioClient) => c.events().map((e: VigilEvent) => `${e.name}:${e.session?.user.username}`);

describe('a sessions subscription with a filter', () => {
  it('by user: a snapshot of that user\'s sessions only, then only their events', async () => {
    const a1 = await t.login('alice', 'alice-password');
    const b1 = await t.login('bob', 'bob-password');
    const c = await subscribe({ user: 'alice' });
    const snap = await c.waitFor((m) => m.type === 'snapshot');
    expect(snap.ref).toBe('f');
    expect(snap.sessions.map((s: { id: string }) => s.id)).toEqual([a1.session.id]);

    await t.login('bob', 'bob-password');
    expect((await t.api('DELETE', `/sessions/${b1.session.id}`, { token: t.adminToken })).status).toBe(204);
    expect((await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 40 } })).status).toBe(200);
    const a2 = await t.login('alice', 'alice-password');
    await c.waitForEvent('session.started', a2.session.id);
    expect((await t.api('DELETE', `/sessions/${a1.session.id}`, { token: t.adminToken })).status).toBe(204);
    await c.waitForEvent('session.terminated', a1.session.id);
    await sleep(300); // a batch that would carry bob's events has been flushed by now
    // the policy change updated every live session's deadlines: alice's reach her, bob's do not
    expect(sessionEvents(c)).toEqual(['session.updated:alice', 'session.started:alice', 'session.terminated:alice']);
    c.close();
  });

  it('by kind and by client', async () => {
    const sso = await ssoSession('bob', 'portal');
    const other = await ssoSession('alice', 'wiki');
    const byKind = await subscribe({ kind: 'sso' });
    const byClient = await subscribe({ clientId: 'portal' });
    const kindSnap = await byKind.waitFor((m) => m.type === 'snapshot');
    const clientSnap = await byClient.waitFor((m) => m.type === 'snapshot');
    expect(kindSnap.sessions.every((s: { kind: string }) => s.kind === 'sso')).toBe(true);
    expect(kindSnap.sessions.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([sso.id, other.id]));
    expect(clientSnap.sessions.map((s: { id: string }) => s.id)).toEqual([sso.id]);

    await t.login('alice', 'alice-password'); // a console session: neither
    const late = await ssoSession('alice', 'portal');
    await byClient.waitForEvent('session.started', late.id);
    await byKind.waitForEvent('session.started', late.id);
    await sleep(300);
    expect(byClient.events().map((e) => e.sessionId)).toEqual([late.id]);
    expect(byKind.events().every((e) => e.session?.kind === 'sso')).toBe(true);
    byKind.close();
    byClient.close();
  });

  it('resumes with since through the same filter: only the matching events missed', async () => {
    const first = await subscribe({ user: 'bob' });
    const snap = await first.waitFor((m) => m.type === 'snapshot');
    first.close();
    await first.closed;
    const missedBob = await t.login('bob', 'bob-password');
    await t.login('alice', 'alice-password');
    const again = await subscribe({ user: 'bob' }, snap.cursor);
    await again.waitFor((m) => m.type === 'synced');
    expect(again.events().map((e) => `${e.name}:${e.sessionId}`)).toEqual([`session.started:${missedBob.session.id}`]);
    again.close();
  });

  it('over Socket.IO too', async () => {
    const sio = new SioClient(t.url, { token: t.adminToken });
    await sio.connected();
    const snap = await new Promise<any>((resolve) => {
      sio.socket.once('snapshot', resolve);
      void sio.request('subscribe', { topic: 'sessions', filter: { user: 'bob' } });
    });
    expect(snap.sessions.length).toBeGreaterThan(0);
    expect(snap.sessions.every((s: { user: { username: string } }) => s.user.username === 'bob')).toBe(true);
    const alice = await t.login('alice', 'alice-password');
    const bob = await t.login('bob', 'bob-password');
    await sio.waitForEvent('session.started', bob.session.id);
    expect(sio.events().some((e) => e.sessionId === alice.session.id)).toBe(false);
    sio.close();
  });

  it('refuses a bad filter with VIGIL_ERR_VALIDATION naming the field, and keeps the connection', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await c.opened;
    const cases: Array<[unknown, string, string]> = [
      [{ color: 'red' }, 'sessions', 'filter.color'],
      [{ kind: 'kiosk' }, 'sessions', 'filter.kind'],
      [{ user: 'no spaces allowed' }, 'sessions', 'filter.user'],
      ['alice', 'sessions', 'filter must be an object'],
      [{ user: 'alice' }, 'self', 'only for the sessions topic'],
    ];
    for (const [filter, topic, says] of cases) {
      const ref = `bad-${says}`;
      c.send({ type: 'subscribe', topic, filter, ref });
      const err = await c.waitFor((m) => m.type === 'error' && m.ref === ref);
      expect(err.code).toBe('VIGIL_ERR_VALIDATION');
      expect(err.message).toContain(says);
    }
    c.send({ type: 'subscribe', topic: 'sessions', filter: { user: 'alice' } });
    await c.waitFor((m) => m.type === 'snapshot');
    c.close();
  });
});
