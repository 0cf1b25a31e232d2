/**
 * GET /events: the realm's recorded events, oldest first, by cursor without repeats or gaps,
 * filtered by time, name (with a trailing *), user and session; exported whole as NDJSON and
 * CSV downloads holding the same events as the JSON pages; credential events for admins only;
 * and the stream trimmed by the configured retention instead of a fixed length.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { sleep } from '../helpers/clients.js';
import type { VigilEvent } from '../../shared/protocol.js';

let t: TestApp;
let viewerToken: string;
let aliceSessions: string[] = [];
let bobSession: string;
/** The time between the first and the second half of alice's sign-ins. */
let middle: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('alice');
  await t.createUser('bob');
  await t.createUser('vera', { roles: ['viewer'] });
  viewerToken = (await t.login('vera', 'vera-password')).token;
  for (let i = 0; i < 12; i++) {
    if (i === 6) {
      await sleep(20);
      middle = new Date().toISOString();
      await sleep(20);
    }
    aliceSessions.push((await t.login('alice', 'alice-password')).session.id);
  }
  bobSession = (await t.login('bob', 'bob-password')).session.id;
  // a wrong password: login.failed, an event about credentials (admins only)
  expect((await t.api('POST', '/login', { body: { username: 'bob', password: 'wrong-password' } })).status).toBe(401);
  // and many more, for paging
  // (more than one Redis read of the history, 500 entries)
  for (let i = 0; i < 550; i++) await t.app.engine.emit('default', 'policy.updated', { fields: [`f${i}`] });
});
afterAll(async () => t?.close());

async function events(query: string, token = t.adminToken): Promise<{ events: VigilEvent[]; nextCursor: string | null }> {
  const r = await t.api('GET', `/events${query ? `?${query}` : ''}`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Every event of a query, page after page. */
async function allPages(query: string, limit: number, token = t.adminToken): Promise<{ events: VigilEvent[]; pages: number }> {
  const out: VigilEvent[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await events([query, `limit=${limit}`, cursor ? `cursor=${cursor}` : ''].filter(Boolean).join('&'), token);
    expect(page.events.length).toBeLessThanOrEqual(limit);
    out.push(...page.events);
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 500);
  return { events: out, pages };
}

/** RFC 4180 rows (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += ch;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

describe('GET /events pages', () => {
  it('lists every event oldest first in small pages, none repeated and none skipped', async () => {
    const whole = (await events('limit=1000')).events;
    expect(whole.length).toBeGreaterThan(550);
    const ids = whole.map((e) => e.id);
    const sorted = [...ids].sort((a, b) => {
      const [am, as] = a.split('-').map(Number);
      const [bm, bs] = b.split('-').map(Number);
      return am! - bm! || as! - bs!;
    });
    expect(ids).toEqual(sorted);
    const paged = await allPages('', 7);
    expect(paged.pages).toBeGreaterThan(5);
    // an event may be written meanwhile (a trailing activity announcement, on a busy machine): it comes after
    const pagedIds = paged.events.map((e) => e.id);
    expect(pagedIds.slice(0, ids.length)).toEqual(ids);
    expect(pagedIds.slice(ids.length).filter((id) => sorted.indexOf(id) >= 0)).toEqual([]);
    expect(new Set(pagedIds).size).toBe(pagedIds.length);
  });

  it('pages a filtered selection without repeats or gaps', async () => {
    const whole = (await events('name=session.started&limit=1000')).events;
    const paged = await allPages('name=session.started', 2);
    expect(paged.events.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect(whole.length).toBe(1 + 1 + 12 + 1); // admin, vera, alice ×12, bob
  });

  it('carries the envelope: id, name, at, realm, sessionId, session and data', async () => {
    const e = (await events(`sessionId=${bobSession}&name=session.started`)).events[0]!;
    expect(e).toMatchObject({ name: 'session.started', realm: 'default', sessionId: bobSession, data: {} });
    expect(e.id).toMatch(/^\d+-\d+$/);
    expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(e.session).toMatchObject({ id: bobSession, user: { username: 'bob' }, kind: 'console' });
  });

  it('refuses a cursor it did not make, and a limit out of bounds, naming the field', async () => {
    const bad = await t.api('GET', '/events?cursor=yesterday', { token: t.adminToken });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^cursor must be /);
    const big = await t.api('GET', '/events?limit=1001', { token: t.adminToken });
    expect(big.body.message).toBe('limit must be an integer from 1 to 1000');
    const time = await t.api('GET', '/events?since=monday', { token: t.adminToken });
    expect(time.body.message).toMatch(/^since must be an ISO 8601 date and time/);
  });
});

describe('GET /events filters', () => {
  it('by time: since inclusive, until exclusive', async () => {
    const alice = (await events('user=alice&name=session.started&limit=1000')).events;
    expect(alice.map((e) => e.sessionId)).toEqual(aliceSessions);
    const before = (await events(`user=alice&name=session.started&until=${middle}`)).events;
    const after = (await events(`user=alice&name=session.started&since=${middle}`)).events;
    expect(before.map((e) => e.sessionId)).toEqual(aliceSessions.slice(0, 6));
    expect(after.map((e) => e.sessionId)).toEqual(aliceSessions.slice(6));
    const exact = alice[3]!.at;
    const from = (await events(`user=alice&name=session.started&since=${exact}&until=${alice[4]!.at}`)).events;
    expect(from.map((e) => e.sessionId)).toContain(aliceSessions[3]);
    expect(from.map((e) => e.sessionId)).not.toContain(aliceSessions[4]);
  });

  it('by time before the epoch and far ahead: empty or everything, never an error', async () => {
    expect((await events('until=1969-12-31T23:59:59.000Z')).events).toEqual([]);
    expect((await events('until=1970-01-01T00:00:00.000Z&format=json')).events).toEqual([]);
    expect((await events('since=1969-01-01T00:00:00.000Z&limit=1000')).events.length).toBe((await events('limit=1000')).events.length);
    expect((await events('since=9999-12-31T00:00:00.000Z')).events).toEqual([]);
    const csv = await (await fetch(`${t.url}/api/v1/realms/default/events?format=csv&until=1960-01-01T00:00:00Z`, { headers: { authorization: `Bearer ${t.adminToken}` } })).text();
    expect(csv).toBe('id,at,realm,name,sessionId,user,kind,clientId,data\r\n');
  });

  it('by name: exact, or a prefix ending in *', async () => {
    const login = (await events('name=login.*&limit=1000')).events;
    expect(login.length).toBeGreaterThan(0);
    expect(login.every((e) => e.name.startsWith('login.'))).toBe(true);
    expect(new Set(login.map((e) => e.name))).toEqual(new Set(['login.succeeded', 'login.failed']));
    const exact = (await events('name=login.succeeded&limit=1000')).events;
    expect(exact.every((e) => e.name === 'login.succeeded')).toBe(true);
    expect(exact.length).toBe(15);
    expect((await events('name=login&limit=1000')).events).toEqual([]);
  });

  it('by user: the user\'s sessions\' events and the events naming the user', async () => {
    const bob = (await events('user=bob&limit=1000')).events;
    expect(new Set(bob.map((e) => e.name))).toEqual(new Set(['session.started', 'login.succeeded', 'login.failed']));
    expect(bob.filter((e) => e.sessionId).every((e) => e.sessionId === bobSession)).toBe(true);
  });

  it('by session', async () => {
    const one = (await events(`sessionId=${aliceSessions[2]}`)).events;
    expect(one.map((e) => e.name)).toEqual(['session.started', 'login.succeeded']);
    expect(one.every((e) => e.sessionId === aliceSessions[2])).toBe(true);
  });
});

describe('GET /events for viewers', () => {
  it('leaves out events about credentials (login.failed), which admins see', async () => {
    const admin = (await events('user=bob&limit=1000')).events;
    expect(admin.some((e) => e.name === 'login.failed')).toBe(true);
    const viewer = (await events('user=bob&limit=1000', viewerToken)).events;
    expect(viewer.some((e) => e.name === 'login.failed')).toBe(false);
    expect(viewer.map((e) => e.id)).toEqual(admin.filter((e) => e.name !== 'login.failed').map((e) => e.id));
    const everything = (await events('limit=1000', viewerToken)).events;
    expect(everything.some((e) => e.name === 'login.failed' || e.name.startsWith('token.'))).toBe(false);
    const exported = await (await fetch(`${t.url}/api/v1/realms/default/events?format=ndjson&name=login.*`, { headers: { authorization: `Bearer ${viewerToken}` } })).text();
    expect(exported).not.toContain('login.failed');
    expect(exported).toContain('login.succeeded');
  });

  it('refuses a user without the viewer role', async () => {
    const alice = (await t.login('alice', 'alice-password')).token;
    expect((await t.api('GET', '/events', { token: alice })).status).toBe(403);
    expect((await t.api('GET', '/events')).status).toBe(401);
  });
});

describe('GET /events exports', () => {
  const download = async (query: string) => fetch(`${t.url}/api/v1/realms/default/events?${query}`, { headers: { authorization: `Bearer ${t.adminToken}` } });

  it('NDJSON: a download with one event per line, the same events as the JSON pages', async () => {
    const res = await download('format=ndjson&user=alice');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="vigil-events-default-.*\.ndjson"$/);
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as VigilEvent);
    const paged = await allPages('user=alice', 5);
    expect(lines).toEqual(paged.events);
  });

  it('CSV: a download with a header row and one properly quoted row per event, the same events as the JSON pages', async () => {
    const res = await download('format=csv&user=bob');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="vigil-events-default-.*\.csv"$/);
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(['id', 'at', 'realm', 'name', 'sessionId', 'user', 'kind', 'clientId', 'data']);
    const paged = await allPages('user=bob', 2);
    expect(rows.slice(1).map((r) => r[0])).toEqual(paged.events.map((e) => e.id));
    for (const [i, e] of paged.events.entries()) {
      const r = rows[i + 1]!;
      expect(r).toHaveLength(9);
      // data holds commas and quotes: quoted and doubled, it reads back as the same JSON
      expect(JSON.parse(r[8]!)).toEqual(e.data);
      expect(r.slice(1, 6)).toEqual([e.at, 'default', e.name, e.sessionId ?? '', 'bob']);
    }
  });

  it('exports the whole selection, however many pages it takes, and nothing for an empty one', async () => {
    const all = (await (await download('format=ndjson')).text()).trimEnd().split('\n');
    expect(all.length).toBe((await allPages('', 1000)).events.length);
    const none = await download('format=csv&name=nothing.here');
    expect(await none.text()).toBe('id,at,realm,name,sessionId,user,kind,clientId,data\r\n');
  });
});

describe('retention', () => {
  it('trims each realm\'s stream to VIGIL_EVENT_RETENTION_COUNT (approximately, in whole stream nodes)', async () => {
    const small = await startTestApp({ env: { VIGIL_EVENT_RETENTION_COUNT: '20' } });
    try {
      for (let i = 0; i < 400; i++) await small.app.engine.emit('default', 'policy.updated', { fields: [`n${i}`] });
      const key = small.app.keys.events('default');
      const length = await small.app.redis.xlen(key);
      const node = Number(((await small.app.redis.config('GET', 'stream-node-max-entries')) as string[])[1]);
      expect(length).toBeGreaterThanOrEqual(20);
      expect(length).toBeLessThanOrEqual(20 + node);
      const kept = (await small.api('GET', '/events?name=policy.updated&limit=1000', { token: small.adminToken })).body.events as VigilEvent[];
      expect(kept.at(-1)!.data).toEqual({ fields: ['n399'] });
      expect(kept.some((e) => (e.data.fields as string[])[0] === 'n0')).toBe(false);
    } finally {
      await small.close();
    }
  });

  it('trims events older than VIGIL_EVENT_RETENTION_DAYS (approximately, in whole stream nodes)', async () => {
    const old = await startTestApp();
    try {
      const key = old.app.keys.events('default');
      const node = Number(((await old.app.redis.config('GET', 'stream-node-max-entries')) as string[])[1]);
      // a history recorded long ago (ids are times): ended up in the stream before the current events
      const before = await old.app.redis.xlen(key);
      expect(before).toBeGreaterThan(0);
      const stream = await old.app.redis.xrange(key, '-', '+');
      // rebuild the stream with 3 nodes of events from 1970 first, then the app's own
      await old.app.redis.del(key);
      for (let i = 1; i <= 3 * node; i++) await old.app.redis.xadd(key, `${i}-0`, 'n', 'policy.updated', 's', '', 't', String(i), 'd', '{}');
      for (const [id, fields] of stream) await old.app.redis.xadd(key, id, ...fields);
      await old.app.engine.emit('default', 'policy.updated', { fields: ['now'] });
      const left = (await old.app.redis.xrange(key, '-', '+')) as Array<[string, string[]]>;
      expect(left.some(([id]) => id === '1-0')).toBe(false);
      expect(left.filter(([id]) => Number(id.split('-')[0]) < 1_000_000).length).toBeLessThan(node);
      expect(left.at(-1)![1]).toContain('{"fields":["now"]}');
      expect(left.length).toBeGreaterThan(before);
    } finally {
      await old.close();
    }
  });

  it('keeps every event under the default retention', async () => {
    const key = t.app.keys.events('default');
    expect(await t.app.redis.xlen(key)).toBe((await allPages('', 1000)).events.length);
  });
});
