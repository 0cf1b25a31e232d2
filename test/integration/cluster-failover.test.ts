/**
 * Vigil on a real Redis Cluster (3 masters, 3 replicas on loopback, started by this file):
 * realms spread over the masters, a master replaced by its replica under load, and a Vigil
 * node SIGKILLed while another carries on. No speed is asserted beyond the generous
 * bounds for a failover (service back within 15 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { startCluster, type TestCluster } from '../helpers/topology.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient, sleep } from '../helpers/clients.js';
import type { VigilEvent } from '../../shared/protocol.js';

let cluster: TestCluster;
let t: TestApp;

beforeAll(async () => {
  cluster = await startCluster();
  t = await startTestApp({ redisUrl: cluster.urls.join(','), env: { VIGIL_REDIS_MODE: 'cluster' }, policy: { expiryPromptSeconds: 5 } });
}, 180_000);
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
});

async function admin() {
  return (await t.app.users.byUsername('default', 'admin'))!;
}

/** Every event of the realm's stream after `cursor`, as ids (what a gapless subscriber must have seen). */
async function streamIdsAfter(realm: string, cursor: string): Promise<string[]> {
  const entries = (await t.app.redis.xrange(t.app.keys.events(realm), `(${cursor}`, '+')) as Array<[string, string[]]>;
  return entries.map(([id]) => id);
}

/** Polls until `probe` holds, returning the milliseconds it took; throws after `withinMs`. */
async function until(probe: () => Promise<boolean>, withinMs: number, what: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - start;
    if (Date.now() - start > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(250);
  }
}

describe('realms on a Redis Cluster', () => {
  it('six realms land on more than one master, and each works', async () => {
    const names = ['north', 'south', 'east', 'west', 'up', 'down'];
    const owners = new Set<string>();
    for (const realm of names) {
      const created = await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm, admin: { username: 'root', password: 'root-password' } } });
      expect(created.status).toBe(201);
      owners.add((await cluster.masterFor(`{${realm}}`)).id);
      const login = await t.api('POST', `/api/v1/realms/${realm}/login`, { body: { username: 'root', password: 'root-password' } });
      expect(login.status).toBe(201);
      const list = await t.api('GET', `/api/v1/realms/${realm}/sessions`, { token: login.body.token });
      expect(list.status).toBe(200);
      expect(list.body.sessions.map((s: { id: string }) => s.id)).toEqual([login.body.session.id]);
      // every key of the realm is on the master that owns its slot
      const master = await cluster.masterFor(`{${realm}}`);
      const stream = t.app.keys.events(realm);
      expect(await cluster.masterFor(stream)).toMatchObject({ id: master.id });
    }
    expect(owners.size).toBeGreaterThan(1);
    for (const realm of names) expect((await t.api('DELETE', `/api/v1/realms/${realm}`, { token: t.adminToken })).status).toBe(204);
  });
});

describe('a master replaced by its replica (CLUSTER FAILOVER)', () => {
  it('with 200 live sessions and a sessions subscriber: back within 15 s, all 200 listed, a warning due afterwards fires once, the subscriber has no gap', async () => {
    const user = await admin();
    const made = await Promise.all(Array.from({ length: 200 }, () => t.app.engine.start({ realm: 'default', kind: 'console', user, idleTimeout: 3600, ip: '127.0.0.1', userAgent: 'failover' })));
    // due after the failover: warning at +12 s, expiry 5 s later
    const soon = await t.app.engine.start({ realm: 'default', kind: 'console', user, idleTimeout: 12, ip: '127.0.0.1', userAgent: 'soon' });

    const sub = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await sub.opened;
    sub.send({ type: 'subscribe', topic: 'sessions' });
    const snapshot = await sub.waitFor((m) => m.type === 'snapshot');
    expect(snapshot.sessions.length).toBeGreaterThanOrEqual(201);

    const master = await cluster.masterFor('{default}');
    const replica = master.replicas[0]!;
    const started = Date.now();
    await cluster.failover(replica.port);
    expect((await cluster.masterFor('{default}')).port).toBe(replica.port);

    // service back: the session list answers, with every session acknowledged before
    const backAfter = await until(async () => {
      const r = await t.api('GET', '/sessions?limit=1000', { token: t.adminToken, timeoutMs: 3000 });
      return r.status === 200 && made.every((m) => r.body.sessions.some((s: { id: string }) => s.id === m.session.id));
    }, 15_000 - (Date.now() - started), 'all 200 sessions listed after the failover');
    console.info(`cluster failover: CLUSTER FAILOVER took ${Date.now() - started - backAfter} ms, all 200 listed ${Date.now() - started} ms after it was sent`);

    // the stream keeps flowing to the subscriber: a few terminations after the failover
    for (const m of made.slice(0, 3)) expect((await t.api('DELETE', `/sessions/${m.session.id}`, { token: t.adminToken })).status).toBe(204);
    for (const m of made.slice(0, 3)) await sub.waitForEvent('session.terminated', m.session.id, 20_000);

    const warning = await sub.waitForEvent('session.warning', soon.session.id, 30_000);
    expect(Date.parse(warning.at)).toBeGreaterThanOrEqual(Date.parse(soon.session.warnAt));
    await sub.waitForEvent('session.expired', soon.session.id, 30_000);
    expect(sub.events().filter((e) => e.sessionId === soon.session.id && e.name === 'session.warning')).toHaveLength(1);

    // no gap, no duplicate: exactly the stream's entries since the snapshot
    const ids = sub.events().map((e: VigilEvent) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const inStream = await streamIdsAfter('default', snapshot.cursor);
    expect(ids.slice(0, inStream.length)).toEqual(inStream);
    expect(sub.messages.some((m) => m.type === 'snapshot' && m.resync)).toBe(false);
    sub.close();
  }, 120_000);
});

describe('two Vigil nodes on the cluster', () => {
  let other: ChildProcess | null = null;
  afterAll(() => {
    other?.kill('SIGKILL');
  });

  it('one SIGKILLed while 500 sessions exist: nothing lost, a warning due meanwhile fires once, its client resumes on the other node without a gap', async () => {
    // a second node of the same deployment, in its own process: it serves and runs timers too
    other = spawn(process.execPath, ['--import', 'tsx', path.resolve('server/main.ts')], {
      env: {
        ...process.env, REDIS_URL: cluster.urls.join(','), VIGIL_REDIS_MODE: 'cluster', VIGIL_REDIS_PREFIX: t.prefix,
        VIGIL_PORT: '0', VIGIL_ADMIN_PASSWORD: t.adminPassword, VIGIL_LOG_LEVEL: 'warn', VIGIL_DATA_DIR: tmpdir(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    other.stdout!.on('data', (d) => (out += d));
    other.stderr!.on('data', (d) => (out += d));
    await until(async () => /Vigil is running: (\S+)/.test(out), 60_000, `the second node starting (${out})`);
    const otherUrl = /Vigil is running: (\S+)/.exec(out)![1]!.replace(/\/$/, '');

    // 500 sessions made through the other node's REST API, two of them due while it is gone
    const login = async (body: object) => (await fetch(`${otherUrl}/api/v1/realms/default/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<{ token: string; session: { id: string } }>;
    const adminThere = await login({ username: 'admin', password: t.adminPassword });
    expect(adminThere.token).toBeTruthy();
    const user = await admin();
    const made = [adminThere.session.id];
    for (let i = 0; i < 499; i += 50) {
      made.push(...(await Promise.all(Array.from({ length: 50 }, () => t.app.engine.start({ realm: 'default', kind: 'console', user, idleTimeout: 3600, ip: '127.0.0.1', userAgent: 'two-nodes' })))).map((s) => s.session.id));
    }
    const due = await t.app.engine.start({ realm: 'default', kind: 'console', user, idleTimeout: 10, ip: '127.0.0.1', userAgent: 'due' });

    const sub = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await sub.opened;
    sub.send({ type: 'subscribe', topic: 'sessions' });
    await sub.waitFor((m) => m.type === 'snapshot');
    // a client of the node that dies: it resumes on the other node from its cursor
    const theirs = new WsClient(`${otherUrl.replace('http', 'ws')}/ws`, { token: adminThere.token });
    await theirs.opened;
    theirs.send({ type: 'subscribe', topic: 'sessions' });
    const theirSnapshot = await theirs.waitFor((m) => m.type === 'snapshot');

    other.kill('SIGKILL');
    await new Promise((r) => other!.once('exit', r));
    other = null;
    await theirs.closed;
    const cursor = theirs.events().at(-1)?.id ?? theirSnapshot.cursor;
    const resumed = new WsClient(`${t.wsUrl}/ws`, { token: adminThere.token });
    await resumed.opened;
    resumed.send({ type: 'subscribe', topic: 'sessions', since: cursor });
    await resumed.waitFor((m) => m.type === 'synced');

    const warning = await sub.waitForEvent('session.warning', due.session.id, 40_000);
    expect(Date.parse(warning.at)).toBeGreaterThanOrEqual(Date.parse(due.session.warnAt));
    await sub.waitForEvent('session.expired', due.session.id, 30_000);
    await sleep(1500);
    expect(sub.events().filter((e) => e.sessionId === due.session.id && e.name === 'session.warning')).toHaveLength(1);
    // the resumed client: every event after its cursor, once, in stream order, the warning among them
    await resumed.waitForEvent('session.expired', due.session.id, 30_000);
    const got = [...theirs.events(), ...resumed.events()].map((e) => e.id);
    expect(new Set(got).size).toBe(got.length);
    const after = resumed.events().map((e) => e.id);
    expect(after).toEqual((await streamIdsAfter('default', cursor)).slice(0, after.length));
    expect(resumed.events().filter((e) => e.sessionId === due.session.id && e.name === 'session.warning')).toHaveLength(1);
    resumed.close();

    const listed = await t.api('GET', '/sessions?limit=1000', { token: t.adminToken });
    expect(listed.status).toBe(200);
    const ids = new Set(listed.body.sessions.map((s: { id: string }) => s.id));
    expect(made.filter((id) => !ids.has(id))).toEqual([]);
    sub.close();
  }, 180_000);
});
