/**
 * `detail: "changes"` on the sessions topic (CONTRACT.md, Real-time protocol): session.started
 * whole, every other session event only `{id, …what changed}`; applying the changes to the
 * snapshot gives exactly the state in Redis — checked against a `full` subscriber and
 * GET /sessions after random activity, extends, terminations and lifetime changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient, sleep } from '../helpers/clients.js';
import type { Session, VigilEvent } from '../../shared/protocol.js';
import { FINAL_EVENTS } from '../../shared/protocol.js';

let t: TestApp;
const USERS = ['cara', 'dan', 'eve', 'finn', 'gus'];

beforeAll(async () => {
  t = await startTestApp({ policy: { expiryPromptSeconds: 5 } });
  for (const u of USERS) await t.createUser(u, { tokenLifetime: 600 });
});
afterAll(async () => t?.close());

/** A client's view of the realm: its snapshot, then its events applied (merged for `changes`). */
class View {
  readonly sessions = new Map<string, Session>();
  constructor(readonly merge: boolean) {}
  reset(list: Session[]): void {
    this.sessions.clear();
    for (const s of list) this.sessions.set(s.id, s);
  }
  apply(events: VigilEvent[]): void {
    for (const e of events) {
      if (!e.sessionId || !e.name.startsWith('session.')) continue;
      if (FINAL_EVENTS.includes(e.name)) this.sessions.delete(e.sessionId);
      else if (e.session) {
        const prev = this.sessions.get(e.sessionId);
        this.sessions.set(e.sessionId, this.merge && prev ? { ...prev, ...e.session } : e.session);
      }
    }
  }
  /** Field by field, without `current` (true only in the caller's own copies). */
  state(): Record<string, Omit<Session, 'current'>> {
    const out: Record<string, Omit<Session, 'current'>> = {};
    for (const [id, { current: _c, ...rest }] of this.sessions) out[id] = rest;
    return out;
  }
}

async function follow(detail: 'full' | 'changes') {
  const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
  await c.opened;
  c.send({ type: 'subscribe', topic: 'sessions', detail });
  const snap = await c.waitFor((m) => m.type === 'snapshot');
  const view = new View(detail === 'changes');
  view.reset(snap.sessions);
  return { c, view, sync: () => view.apply(c.events()) };
}

async function redisState(): Promise<Record<string, Omit<Session, 'current'>>> {
  const out: Record<string, Omit<Session, 'current'>> = {};
  let cursor: string | null = null;
  do {
    const r: { status: number; body: { sessions: Session[]; nextCursor: string | null } } = await t.api('GET', `/sessions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: t.adminToken });
    expect(r.status).toBe(200);
    for (const { current: _c, ...rest } of r.body.sessions) out[rest.id] = rest;
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}

describe('detail: "changes"', () => {
  it('session.started carries the whole session; an activity event carries only what changed (about 315 bytes, of which the envelope is half)', async () => {
    const ws = new WebSocket(`${t.wsUrl}/ws`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(d.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'sessions', detail: 'changes' }));
    const until = async (match: (m: any) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const hit = frames.map((f) => JSON.parse(f)).find(match);
        if (hit) return hit;
        await sleep(100);
      }
      throw new Error(`no frame matched; got ${frames.length}`);
    };
    await until((m) => m.type === 'snapshot');
    const { token, session } = await t.login('cara', 'cara-password');
    const started = await until((m) => m.type === 'events' && m.events.some((e: VigilEvent) => e.name === 'session.started' && e.sessionId === session.id));
    const whole = started.events.find((e: VigilEvent) => e.name === 'session.started').session;
    expect(Object.keys(whole).sort()).toEqual(Object.keys(session).sort());

    await sleep(1100);
    expect((await t.api('POST', '/sessions/current/activity', { token })).status).toBe(204);
    const activityFrame = frames.find((f) => f.includes('"session.activity"') && f.includes(session.id))
      ?? JSON.stringify(await until((m) => m.type === 'events' && m.events.some((e: VigilEvent) => e.name === 'session.activity' && e.sessionId === session.id)));
    const msg = JSON.parse(activityFrame);
    const activity = msg.events.find((e: VigilEvent) => e.name === 'session.activity');
    expect(Object.keys(activity.session).sort()).toEqual(['expiresAt', 'id', 'lastActivityAt', 'warnAt']);
    // the contract's envelope (id, name, at, realm, sessionId, data) is ~150 bytes of it; the
    // issue's 300-byte goal is not reachable without changing that envelope (see the closing note)
    const bytes = Buffer.byteLength(JSON.stringify(activity));
    console.info(`changes: one session.activity event is ${bytes} bytes (a full one: ${Buffer.byteLength(JSON.stringify({ ...activity, session: { ...whole, ...activity.session } }))})`);
    expect(bytes).toBeLessThan(330);
    ws.close();
  });

  it('refuses a bad detail with VIGIL_ERR_VALIDATION', async () => {
    const c = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await c.opened;
    c.send({ type: 'subscribe', topic: 'sessions', detail: 'some', ref: 1 });
    expect((await c.waitFor((m) => m.type === 'error' && m.ref === 1)).message).toContain('detail must be one of full, changes');
    c.close();
  });

  it('converges: after random activity, extends, terminations and lifetime changes on 50 sessions, a changes client, a full client and GET /sessions agree field by field', async () => {
    const made: Array<{ id: string; token: string; user: string }> = [];
    for (const u of USERS) {
      const user = (await t.app.users.byUsername('default', u))!;
      for (let i = 0; i < 10; i++) {
        const s = await t.app.engine.start({ realm: 'default', kind: 'console', user, idleTimeout: 600, ip: '127.0.0.1', userAgent: `convergence-${i}` });
        made.push({ id: s.session.id, token: s.token, user: u });
      }
    }
    const changes = await follow('changes');
    const full = await follow('full');

    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const live = [...made];
    for (let step = 0; step < 120; step++) {
      const op = random(10);
      const s = live[random(live.length)]!;
      if (op < 6) await t.api('POST', '/sessions/current/activity', { token: s.token });
      else if (op < 7) await t.app.engine.extend('default', s.id).catch(() => {});
      else if (op < 8 && live.length > 30) {
        expect((await t.api('DELETE', `/sessions/${s.id}`, { token: t.adminToken })).status).toBe(204);
        live.splice(live.indexOf(s), 1);
      } else if (op < 9) {
        const r = await t.api('PATCH', `/users/${s.user}`, { token: t.adminToken, body: { tokenLifetime: 300 + random(600) } });
        expect(r.status).toBe(200);
      }
      if (step % 10 === 0) await sleep(30);
    }
    // the trailing activity announcements are due within about a second
    await sleep(2500);
    changes.sync();
    full.sync();
    const truth = await redisState();
    expect(full.view.state()).toEqual(truth);
    expect(changes.view.state()).toEqual(truth);

    // and no changes event but session.started carried an unchanged field
    const seen = new Map<string, Session>();
    for (const s of (changes.c.messages.find((m) => m.type === 'snapshot')!.sessions as Session[])) seen.set(s.id, s);
    for (const e of changes.c.events()) {
      if (!e.session || !e.sessionId) continue;
      const prev = seen.get(e.sessionId);
      if (prev && e.name !== 'session.started') {
        for (const [k, v] of Object.entries(e.session)) if (k !== 'id') expect(JSON.stringify(v), `${e.name} ${k}`).not.toBe(JSON.stringify((prev as unknown as Record<string, unknown>)[k]));
        seen.set(e.sessionId, { ...prev, ...e.session });
      } else seen.set(e.sessionId, e.session);
    }
    const wholeBytes = full.c.events().reduce((n, e) => n + JSON.stringify(e).length, 0);
    const changeBytes = changes.c.events().reduce((n, e) => n + JSON.stringify(e).length, 0);
    console.info(`convergence: ${full.c.events().length} full events ${wholeBytes} B, ${changes.c.events().length} changes events ${changeBytes} B`);
    expect(changeBytes).toBeLessThan(wholeBytes);
    changes.c.close();
    full.c.close();
  }, 90_000);
});
