/**
 * Trust boundaries found by the audit of the first release (issue "Security hardening"), each
 * against the real server: who may see credential events, what a flood of valid messages may
 * cost, cookies behind HTTPS, a re-created realm's history, who minted a session, and the
 * embedded Redis's files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';
import { streamEvents } from './oidc-support.js';
import { startEmbeddedRedis } from '../../server/redis/embedded.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('vera', { roles: ['viewer'] });
  await t.createUser('carol');
});
afterAll(async () => t?.close());

describe('events about credentials', () => {
  it('login.failed reaches admins only, never a viewer or a wall display', async () => {
    const vera = await t.login('vera', 'vera-password');
    const key = (await t.api('POST', '/display-keys', { token: t.adminToken, body: {} })).body.displayKey.key;
    const admin = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    const viewer = new WsClient(`${t.wsUrl}/ws`, { token: vera.token });
    const wall = new SioClient(t.url, { token: key });
    for (const c of [admin, viewer]) {
      await c.waitFor((m) => m.type === 'hello');
      c.send({ type: 'subscribe', topic: 'sessions' });
      await c.waitFor((m) => m.type === 'snapshot');
    }
    await wall.request('subscribe', { topic: 'sessions' });
    await wall.waitFor((m) => m.type === 'snapshot');

    expect((await t.api('POST', '/login', { body: { username: 'carol', password: 'not-her-password' } })).status).toBe(401);
    const later = await t.login('carol', 'carol-password'); // an event everyone sees, after the failure
    const failed = await admin.waitForEvent('login.failed');
    expect(failed.data).toMatchObject({ username: 'carol' });
    for (const c of [viewer, wall]) {
      await c.waitForEvent('session.started', later.session.id);
      expect(c.events().filter((e) => e.name.startsWith('login.failed') || e.name.startsWith('token.'))).toEqual([]);
    }
    // nor in a replay from the start of the stream
    viewer.send({ type: 'subscribe', topic: 'sessions', since: '0-0', ref: 'replay' });
    await viewer.waitFor((m) => m.type === 'synced' && m.ref === 'replay');
    expect(viewer.events().some((e) => e.name === 'login.failed')).toBe(false);
    admin.close();
    viewer.close();
    wall.close();
  });
});

describe('a client flooding valid messages', () => {
  /** Enough sessions that one snapshot is a few MB of JSON. */
  const SESSIONS = 3000;
  beforeAll(async () => {
    const carol = (await t.app.users.byUsername('default', 'carol'))!;
    for (let i = 0; i < SESSIONS; i += 200) {
      await Promise.all(Array.from({ length: 200 }, () => t.app.engine.start({ realm: 'default', kind: 'console', user: carol, idleTimeout: 3600, ip: '127.0.0.1', userAgent: 'x'.repeat(200) })));
    }
  });

  /** Samples this process's RSS (the server runs in it) until stopped; returns the peak growth in MB. */
  function rssGrowth(): { stop(): number } {
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    return { stop: () => (clearInterval(timer), (Math.max(peak, process.memoryUsage().rss) - before) / 2 ** 20) };
  }

  it('over Socket.IO: 100 subscribes at once build at most two snapshots, past 50 a second are refused, then 1008; memory stays flat', async () => {
    const vera = await t.login('vera', 'vera-password');
    const c = new SioClient(t.url, { token: vera.token });
    await c.waitFor((m) => m.type === 'hello');
    const rss = rssGrowth();
    const answers = await Promise.all(Array.from({ length: 100 }, () => c.socket.timeout(30_000).emitWithAck('subscribe', { topic: 'sessions' }).catch(() => ({ lost: true }))));
    const close = await c.waitFor((m) => typeof (m as { code?: unknown }).code === 'number', 30_000, 'a close event');
    const grown = rss.stop();
    expect(close).toMatchObject({ code: 1008 });
    expect(c.messages.filter((m) => m.type === 'snapshot').length).toBeLessThanOrEqual(2);
    expect(answers.filter((a) => (a as { code?: string }).code === 'VIGIL_ERR_RATE_LIMITED').length).toBeGreaterThan(0);
    // the first release grew by over 300 MB here (230 → 557 MB for 100 subscribes)
    expect(grown).toBeLessThan(120);
  });

  it('over /ws: 150 small frames at once are answered within their budget and the client is closed 1008; memory stays flat', async () => {
    const vera = await t.login('vera', 'vera-password');
    const c = new WsClient(`${t.wsUrl}/ws`, { token: vera.token });
    await c.waitFor((m) => m.type === 'hello');
    const rss = rssGrowth();
    for (let i = 0; i < 150; i++) c.send({ type: 'subscribe', topic: 'sessions', ref: i });
    expect((await c.closed).code).toBe(1008);
    const grown = rss.stop();
    expect(c.messages.filter((m) => m.type === 'snapshot').length).toBeLessThanOrEqual(2);
    expect(c.messages.some((m) => m.type === 'error' && m.code === 'VIGIL_ERR_RATE_LIMITED')).toBe(true);
    expect(grown).toBeLessThan(120);
  });

  it('repeated subscribes within the rate coalesce: each is answered, by its snapshot or as superseded', async () => {
    const vera = await t.login('vera', 'vera-password');
    const c = new WsClient(`${t.wsUrl}/ws`, { token: vera.token });
    await c.waitFor((m) => m.type === 'hello');
    for (let i = 0; i < 30; i++) c.send({ type: 'subscribe', topic: 'sessions', ref: `r${i}` });
    await c.waitFor((m) => m.type === 'snapshot' && m.ref === 'r29', 30_000, 'the last subscribe answered');
    const answered = new Set(c.messages.filter((m) => m.ref !== undefined).map((m) => m.ref));
    for (let i = 0; i < 30; i++) expect(answered.has(`r${i}`)).toBe(true);
    expect(c.messages.filter((m) => m.type === 'snapshot').length).toBeLessThanOrEqual(2);
    expect(c.messages.filter((m) => m.type === 'ack' && m.superseded).length).toBeGreaterThanOrEqual(28);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.close();
  });
});

describe('behind HTTPS', () => {
  it('sets the session cookie Secure when the public URL is https, and not otherwise', async () => {
    const tls = await startTestApp({ env: { VIGIL_PUBLIC_URL: 'https://vigil.example.test' } });
    try {
      const r = await tls.api('POST', '/login', { body: { username: 'admin', password: tls.adminPassword } });
      expect(r.status).toBe(201);
      expect(r.headers.get('set-cookie')).toMatch(/vigil_session=.*;\s*Secure/i);
      // the public origin is the allowed one; the address the server listens on is not another way in
      const foreign = await tls.api('POST', '/logout', { headers: { cookie: `vigil_session=${r.body.token}`, origin: tls.url } });
      expect(foreign.body.code).toBe('VIGIL_ERR_BAD_ORIGIN');
      const own = await tls.api('POST', '/logout', { headers: { cookie: `vigil_session=${r.body.token}`, origin: 'https://vigil.example.test' } });
      expect(own.status).toBe(204);
    } finally {
      await tls.close();
    }
    const plain = await t.api('POST', '/login', { body: { username: 'admin', password: t.adminPassword } });
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/i);
  });
});

describe('a realm deleted and created again', () => {
  it('starts with an empty event stream that does not expire, and an old cursor gets a resync', async () => {
    const name = `again${process.pid % 1000}`;
    const create = () => t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm: name, admin: { username: 'boss', password: 'boss-password' } } });
    expect((await create()).status).toBe(201);
    const boss = (await t.api('POST', `/api/v1/realms/${name}/login`, { body: { username: 'boss', password: 'boss-password' } })).body;
    const old = await t.app.engine.cursor(name);
    expect((await t.api('DELETE', `/api/v1/realms/${name}`, { token: t.adminToken })).status).toBe(204);
    expect(await t.app.redis.ttl(t.app.keys.events(name))).toBeGreaterThan(0);

    expect((await create()).status).toBe(201);
    const { redis, keys } = t.app;
    expect(await redis.ttl(keys.events(name))).toBe(-1);
    const names = (await streamEvents(t, name)).map((e) => e.name);
    expect(names).not.toContain('realm.deleted');
    expect(names).not.toContain('session.started');
    expect(boss.session.id).toBeTruthy();

    const admin = (await t.api('POST', `/api/v1/realms/${name}/login`, { body: { username: 'boss', password: 'boss-password' } })).body.token;
    const c = new WsClient(`${t.wsUrl}/ws?realm=${name}`, { token: admin });
    await c.waitFor((m) => m.type === 'hello');
    c.send({ type: 'subscribe', topic: 'sessions', since: old });
    expect(await c.waitFor((m) => m.type === 'snapshot')).toMatchObject({ resync: true });
    c.close();
  });
});

describe('a session an admin minted', () => {
  it('says who minted it in its session.started', async () => {
    const r = await t.api('POST', '/sessions', { token: t.adminToken, body: { username: 'carol' } });
    expect(r.status).toBe(201);
    const started = (await streamEvents(t)).find((e) => e.name === 'session.started' && e.sessionId === r.body.session.id);
    expect(started?.data).toEqual({ by: { username: 'admin' } });
    const own = await t.login('carol', 'carol-password');
    expect((await streamEvents(t)).find((e) => e.name === 'session.started' && e.sessionId === own.session.id)?.data).toEqual({});
  });
});

describe('the embedded Redis data', () => {
  const mode = (p: string) => statSync(p).mode & 0o777;

  it('is readable by Vigil\'s user only: the data dir 0700, nothing group- or other-readable, even files left by an earlier version', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-data-'));
    mkdirSync(path.join(dataDir, 'redis'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(dataDir, 'redis', 'old.aof'), 'x', { mode: 0o644 });
    const embedded = await startEmbeddedRedis(dataDir, () => {});
    try {
      const r = new Redis({ path: embedded.socketPath });
      await r.set('signing-key', 'secret');
      await r.call('BGREWRITEAOF');
      await sleep(500);
      r.disconnect();
      expect(mode(dataDir)).toBe(0o700);
      const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name), ...walk(path.join(dir, e.name))] : e.isFile() ? [path.join(dir, e.name)] : []));
      const entries = walk(dataDir);
      expect(entries.some((p) => p.includes('appendonly'))).toBe(true);
      for (const p of entries) expect(mode(p) & 0o077, p).toBe(0);
    } finally {
      await embedded.stop();
    }
  });
});
