/**
 * session.activity is coalesced per session to at most one a second, leading and trailing
 * (CONTRACT.md, events): the first activity after a quiet second is announced at once, the
 * last one of a burst within about a second after it, so every subscriber's copy of
 * lastActivityAt, warnAt and expiresAt ends equal to Redis. Real timers (the trailing
 * announcement is the timer wheel's check), real clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient, sleep } from '../helpers/clients.js';
import type { Session, VigilEvent } from '../../shared/protocol.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('ann');
});
afterAll(async () => t?.close());

async function viewer() {
  const v = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
  await v.opened;
  v.send({ type: 'subscribe', topic: 'sessions' });
  const snap = await v.waitFor((m) => m.type === 'snapshot');
  return { v, snap };
}

/** The subscriber's copy of a session: the snapshot's, then each event's in order. */
function copyOf(snapshot: { sessions: Session[] }, events: VigilEvent[], id: string): Session | undefined {
  let s = snapshot.sessions.find((x) => x.id === id);
  for (const e of events) if (e.sessionId === id && e.session) s = e.session;
  return s;
}

async function inRedis(id: string): Promise<Session> {
  const r = await t.api('GET', `/sessions/${id}`, { token: t.adminToken });
  expect(r.status).toBe(200);
  return r.body.session;
}

const activityOf = (v: WsClient, id: string) => v.events().filter((e) => e.name === 'session.activity' && e.sessionId === id);

describe('session.activity coalescing', () => {
  it('20 activity calls in 200 ms make at most 2 events, and the last one is announced: the copy equals Redis', async () => {
    const { token, session } = await t.login('ann', 'ann-password');
    const { v, snap } = await viewer();
    const self = new WsClient(`${t.wsUrl}/ws`, { token });
    await self.opened;
    await sleep(1100); // a quiet second since the sign-in
    for (let i = 0; i < 20; i++) {
      self.send({ type: 'activity', ...(i === 19 ? { ref: 'last' } : {}) });
      await sleep(10);
    }
    await self.waitFor((m) => m.type === 'ack' && m.ref === 'last');
    const stored = await inRedis(session.id);
    // within about a second of the burst, the trailing announcement has arrived
    await v.waitFor(() => copyOf(snap, v.events(), session.id)?.lastActivityAt === stored.lastActivityAt, 5000, 'the last activity announced');
    await sleep(1500);
    const events = activityOf(v, session.id);
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.length).toBeLessThanOrEqual(2);
    const copy = copyOf(snap, v.events(), session.id)!;
    const now = await inRedis(session.id);
    expect({ la: copy.lastActivityAt, wa: copy.warnAt, ea: copy.expiresAt }).toEqual({ la: now.lastActivityAt, wa: now.warnAt, ea: now.expiresAt });
    self.close();
    v.close();
  });

  it('under steady activity, at most one event a second, and the copy converges after it stops', async () => {
    const { token, session } = await t.login('ann', 'ann-password');
    const { v, snap } = await viewer();
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      expect((await t.api('POST', '/sessions/current/activity', { token })).status).toBe(204);
      await sleep(100);
    }
    const seconds = (Date.now() - started) / 1000;
    await sleep(2000);
    const events = activityOf(v, session.id);
    expect(events.length).toBeGreaterThanOrEqual(2);
    // one per second, plus the leading one and the trailing one at the ends
    expect(events.length).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    for (let i = 1; i < events.length; i++) expect(Date.parse(events[i]!.at) - Date.parse(events[i - 1]!.at)).toBeGreaterThanOrEqual(950);
    const copy = copyOf(snap, v.events(), session.id)!;
    const now = await inRedis(session.id);
    expect({ la: copy.lastActivityAt, wa: copy.warnAt, ea: copy.expiresAt }).toEqual({ la: now.lastActivityAt, wa: now.warnAt, ea: now.expiresAt });
    v.close();
  });

  it('a single activity after a quiet second is announced at once, and only once', async () => {
    const { token, session } = await t.login('ann', 'ann-password');
    const { v } = await viewer();
    await sleep(1100);
    expect((await t.api('POST', '/sessions/current/activity', { token })).status).toBe(204);
    const e = await v.waitForEvent('session.activity', session.id, 5000);
    expect(e.data).toEqual({ source: 'rest' });
    await sleep(1800); // past where a trailing announcement would come
    expect(activityOf(v, session.id)).toHaveLength(1);
    v.close();
  });
});
