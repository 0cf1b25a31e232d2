/** The dashboard's live session list: snapshot + events, filters, sorting, user agents. */
import { describe, expect, it } from 'vitest';
import type { Session, VigilEvent } from '../../shared/protocol.js';
import { SessionStore, deviceName, deviceTypeLabel, viewSessions } from '../../web/src/lib/session-store.js';

let n = 0;
function session(over: Partial<Session> & { username?: string } = {}): Session {
  const { username = 'alice', ...rest } = over;
  n++;
  const at = new Date(Date.UTC(2026, 10, 22, 7, 0, n)).toISOString();
  return {
    id: `s_${String(n).padStart(4, '0')}`, realm: 'default', kind: 'console', user: { id: `u_${username}`, username },
    clientId: null, state: 'active', createdAt: at, lastActivityAt: at, warnAt: at, expiresAt: at, maxExpiresAt: at,
    idleTimeout: 300, origin: { ip: '127.0.0.1', userAgent: null, device: { browser: null, os: null, type: null } }, current: false, ...rest,
  };
}

function event(name: string, s: Session, id = `${Date.now()}-${n}`): VigilEvent {
  return { id, name: name as VigilEvent['name'], at: new Date().toISOString(), realm: 'default', sessionId: s.id, session: s, data: {} };
}

describe('SessionStore', () => {
  it('replaces everything with a snapshot', () => {
    const store = new SessionStore();
    store.reset([session(), session()]);
    store.reset([session()]);
    expect(store.size).toBe(1);
  });

  it('adds started sessions, updates warnings and drops ended ones', () => {
    const store = new SessionStore();
    const a = session();
    store.reset([a]);
    const b = session({ username: 'bob' });
    store.apply([event('session.started', b)]);
    expect(store.size).toBe(2);
    store.apply([event('session.warning', { ...b, state: 'warning' })]);
    expect(store.count('warning')).toBe(1);
    store.apply([event('session.expired', b), event('session.terminated', a)]);
    expect(store.size).toBe(0);
  });

  it('merges a changes event ({id, …what changed}) into the session it holds, and ignores one for a session it does not hold', () => {
    const store = new SessionStore();
    const a = session();
    store.reset([a]);
    const later = '2026-11-22T08:00:00.000Z';
    store.apply([event('session.activity', { id: a.id, lastActivityAt: later, warnAt: later } as unknown as Session)]);
    expect(store.sessions.get(a.id)).toEqual({ ...a, lastActivityAt: later, warnAt: later });
    store.apply([event('session.activity', { id: 's_unknown', lastActivityAt: later } as unknown as Session)]);
    expect(store.sessions.has('s_unknown')).toBe(false);
  });

  it('ignores events that carry no session (login.*, policy.updated)', () => {
    const store = new SessionStore();
    store.reset([session()]);
    store.apply([{ id: '1-0', name: 'policy.updated', at: '', realm: 'default', sessionId: null, session: null, data: { fields: [] } }]);
    expect(store.size).toBe(1);
  });

  it('tells listeners about every change and bumps its version', () => {
    const store = new SessionStore();
    const seen: Array<number | null> = [];
    store.onChange((e) => seen.push(e ? e.length : null));
    store.reset([]);
    store.apply([event('session.started', session())]);
    expect(seen).toEqual([null, 1]);
    expect(store.version).toBe(2);
  });

  it('counts sessions by kind', () => {
    const store = new SessionStore();
    store.reset([session(), session({ kind: 'sso' }), session({ kind: 'sso' })]);
    expect(store.byKind()).toEqual({ console: 1, sso: 2, offline: 0 });
  });
});

describe('viewSessions', () => {
  const all = [
    session({ username: 'carol', kind: 'sso' }),
    session({ username: 'alice', state: 'warning' }),
    session({ username: 'bob', kind: 'offline' }),
    session({ username: 'Alicia' }),
  ];

  it('filters by a case-insensitive part of the username', () => {
    expect(viewSessions(all, { user: 'ALI' }, { key: 'user', dir: 'asc' }).map((s) => s.user.username)).toEqual(['alice', 'Alicia']);
  });

  it('filters by kind and by state', () => {
    expect(viewSessions(all, { kind: 'sso' }, { key: 'user', dir: 'asc' }).map((s) => s.user.username)).toEqual(['carol']);
    expect(viewSessions(all, { state: 'warning' }, { key: 'user', dir: 'asc' }).map((s) => s.user.username)).toEqual(['alice']);
  });

  it('sorts by user both ways and by start, newest first', () => {
    expect(viewSessions(all, {}, { key: 'user', dir: 'asc' }).map((s) => s.user.username)).toEqual(['alice', 'Alicia', 'bob', 'carol']);
    expect(viewSessions(all, {}, { key: 'user', dir: 'desc' }).map((s) => s.user.username)).toEqual(['carol', 'bob', 'Alicia', 'alice']);
    expect(viewSessions(all, {}, { key: 'createdAt', dir: 'desc' })[0].user.username).toBe('Alicia');
  });

  it('puts sessions in warning first when sorting by state', () => {
    expect(viewSessions(all, {}, { key: 'state', dir: 'asc' })[0].state).toBe('warning');
  });

  it('sorts 10,000 sessions with a stable order', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => session({ username: `u${i % 50}` }));
    const a = viewSessions(many, {}, { key: 'user', dir: 'asc' }).map((s) => s.id);
    const b = viewSessions([...many].reverse(), {}, { key: 'user', dir: 'asc' }).map((s) => s.id);
    expect(a).toEqual(b);
  });
});

describe('deviceName', () => {
  const origin = (userAgent: string | null, browser: string | null, os: string | null, type: Session['origin']['device']['type'] = null): Session['origin'] =>
    ({ ip: '127.0.0.1', userAgent, device: { browser, os, type } });

  it('names the browser and the system the server recognised', () => {
    expect(deviceName(origin('Mozilla/5.0 …', 'Chrome 131', 'Windows 10', 'desktop'))).toBe('Chrome 131 on Windows 10');
    expect(deviceName(origin('Mozilla/5.0 …', 'Chrome 131', null, 'desktop'))).toBe('Chrome 131');
    expect(deviceName(origin('Mozilla/5.0 …', null, 'Linux', 'desktop'))).toBe('Linux');
  });

  it('shows the raw user agent when the server recognised nothing, or when an older server sent no device', () => {
    expect(deviceName(origin('curl/8.5.0', null, null))).toBe('curl/8.5.0');
    expect(deviceName({ ip: null, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' })).toBe('Mozilla/5.0 (X11; Linux x86_64)');
  });

  it('says so when there is no user agent', () => {
    expect(deviceName(origin(null, null, null))).toBe('Unknown client');
    expect(deviceName(undefined)).toBe('Unknown client');
  });

  it('labels the device type', () => {
    expect(deviceTypeLabel(origin('…', 'Mobile Safari 17', 'iOS 17.5', 'mobile'))).toBe('Mobile');
    expect(deviceTypeLabel(origin('…', null, null, 'smarttv'))).toBe('Smart TV');
    expect(deviceTypeLabel(origin('curl/8.5.0', null, null))).toBeNull();
  });
});

describe('SessionView', () => {
  it('keeps the same rows as a full re-sort while events arrive', async () => {
    const { SessionView } = await import('../../web/src/lib/session-store.js');
    const store = new SessionStore();
    const start = Array.from({ length: 500 }, (_, i) => session({ username: `u${i % 37}`, kind: i % 3 ? 'console' : 'sso' }));
    store.reset(start);
    for (const [filter, sort] of [
      [{}, { key: 'createdAt', dir: 'desc' }],
      [{ user: 'u1' }, { key: 'user', dir: 'asc' }],
      [{ kind: 'sso' }, { key: 'lastActivityAt', dir: 'desc' }],
      [{ state: 'warning' }, { key: 'expiresAt', dir: 'asc' }],
    ] as const) {
      const view = new SessionView(store);
      view.rebuild(filter, sort);
      let rnd = 7;
      for (let b = 0; b < 40; b++) {
        const ids = [...store.sessions.keys()];
        const events: VigilEvent[] = [];
        for (let k = 0; k < 10; k++) {
          rnd = (rnd * 48271) % 2147483647;
          const pick = store.sessions.get(ids[rnd % ids.length])!;
          const r = rnd % 4;
          if (r === 0) events.push(event('session.started', session({ username: `u${rnd % 37}` })));
          else if (r === 1) events.push(event('session.expired', pick));
          else if (r === 2) events.push(event('session.warning', { ...pick, state: 'warning', lastActivityAt: new Date(rnd).toISOString() }));
          else events.push(event('session.activity', { ...pick, state: 'active', lastActivityAt: new Date(rnd * 3).toISOString(), expiresAt: new Date(rnd * 5).toISOString() }));
        }
        store.apply(events);
        view.update(events);
        expect(view.rows.map((s) => s.id)).toEqual(viewSessions(store.sessions.values(), filter, sort).map((s) => s.id));
      }
    }
  });
});
