/**
 * A Redis outage while the server runs (design/CONTRACT.md, VIGIL_ERR_UNAVAILABLE; the last
 * paragraph of ARCHITECTURE.md's Scale-out): nothing hangs. Each test has a redis-server of its
 * own (test/helpers/redis-server.ts), not the suite's, so that it can pause it (SIGSTOP: a
 * stalled Redis, its connections open but silent) or kill it and start it again on the same
 * port (with an always-fsynced AOF, so that its data survives, as a real deployment's would).
 *
 * While Redis is out, /readyz, an authenticated REST call and a login each get a 503 with
 * Retry-After; afterwards everything works again, and a session whose warning came due during
 * the outage gets its warning, then its expiry, on a subscribed /ws client, through the timer
 * worker that reconnected by itself. Nothing is logged with a stack meanwhile.
 *
 * No timing assertions: a request must merely answer within a generous client-side bound
 * (ASK_TIMEOUT_MS) so that a hang fails the test; the contract's 2 s is bench/outage.ts's.
 */
import { afterAll, beforeAll, describe, it, vi, type ExpectStatic } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';

const ASK_TIMEOUT_MS = 5000;
const PROMPT_S = 5;

/** One HTTP request that must answer within ASK_TIMEOUT_MS (else it throws: a hang). */
const ask = (t: TestApp, method: string, urlPath: string, o: { token?: string; body?: unknown } = {}) => t.api(method, urlPath, { ...o, timeoutMs: ASK_TIMEOUT_MS });

/** What the app logged (pino JSON lines) and what anything printed on console.error/warn. */
class LogCapture {
  readonly lines: Array<Record<string, any>> = [];
  readonly raw: string[] = [];
  readonly stream = { write: (s: string) => this.add(s) };
  private add(s: string): void {
    for (const line of s.split('\n')) {
      if (!line.trim()) continue;
      this.raw.push(line);
      try {
        this.lines.push(JSON.parse(line));
      } catch {
        this.lines.push({ msg: line });
      }
    }
  }
  count(msg: string, redis?: string): number {
    return this.lines.filter((l) => l.msg === msg && (redis === undefined || l.redis === redis)).length;
  }
}

interface Scenario {
  redis: TestRedisServer;
  t: TestApp;
  logs: LogCapture;
  dir: string | null;
}

async function setUp(persistent: boolean): Promise<Scenario> {
  // killed and restarted, Redis must keep its data, as a deployment's does (AOF, fsync always)
  const dir = persistent ? mkdtempSync(path.join(os.tmpdir(), 'vigil-outage-')) : null;
  const redis = await startRedisServer(undefined, dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : []);
  const logs = new LogCapture();
  const t = await startTestApp({ redisUrl: redis.url, policy: { expiryPromptSeconds: PROMPT_S }, logger: { level: 'info', stream: logs.stream } });
  return { redis, t, logs, dir };
}

async function tearDown(s: Partial<Scenario>): Promise<void> {
  s.redis?.child.kill('SIGCONT');
  // an app whose Redis is gone for good could wait in close(); a test must not hang on it
  if (s.t) await Promise.race([s.t.close().catch(() => {}), sleep(15_000)]);
  await s.redis?.kill();
  if (s.dir) rmSync(s.dir, { recursive: true, force: true });
}

/** The answers every request gets while Redis is out; `self` is a /ws client connected before. */
async function expectUnavailable(expect: ExpectStatic, t: TestApp, userToken: string, self: WsClient): Promise<void> {
  const ready = await ask(t, 'GET', '/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body).toEqual({ status: 'unavailable', problems: ['redis unreachable'] });

  const me = await ask(t, 'GET', '/api/v1/realms/default/me', { token: userToken });
  expect(me.status).toBe(503);
  expect(me.body).toMatchObject({ statusCode: 503, code: 'VIGIL_ERR_UNAVAILABLE', error: 'Service Unavailable' });
  expect(typeof me.body.message).toBe('string');
  expect(Number(me.headers.get('retry-after'))).toBeGreaterThan(0);

  const login = await ask(t, 'POST', '/api/v1/realms/default/login', { body: { username: t.adminUsername, password: t.adminPassword } });
  expect(login.status).toBe(503);
  expect(login.body).toMatchObject({ statusCode: 503, code: 'VIGIL_ERR_UNAVAILABLE', error: 'Service Unavailable' });
  expect(Number(login.headers.get('retry-after'))).toBeGreaterThan(0);

  const activity = await ask(t, 'POST', '/api/v1/realms/default/sessions/current/activity', { token: userToken });
  expect(activity.status).toBe(503);
  expect(activity.body.code).toBe('VIGIL_ERR_UNAVAILABLE');

  // the OIDC endpoints answer as RFC 6749 says
  const discovery = await ask(t, 'GET', '/realms/default/.well-known/openid-configuration');
  expect(discovery.status).toBe(503);
  expect(discovery.body).toMatchObject({ error: 'temporarily_unavailable' });
  expect(Number(discovery.headers.get('retry-after'))).toBeGreaterThan(0);

  // a real-time client cannot be set up either: refused at the upgrade / the handshake, not left hanging
  const ws = new WsClient(`${t.wsUrl}/ws`, { token: userToken });
  await expect(Promise.race([ws.opened, sleep(ASK_TIMEOUT_MS).then(() => 'no answer')])).rejects.toThrow('upgrade refused: 503');
  const sio = new SioClient(t.url, { token: userToken });
  try {
    const refused = await Promise.race([sio.connected().then(() => null, (err: Error & { data?: any }) => err), sleep(ASK_TIMEOUT_MS).then(() => 'no answer')]);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error & { data?: any }).data).toMatchObject({ statusCode: 503, code: 'VIGIL_ERR_UNAVAILABLE' });
  } finally {
    sio.close();
  }
  // and a connected one's message is answered with the same error
  const ref = `activity-${Date.now()}`;
  self.send({ type: 'activity', ref });
  const answer = await self.waitFor((m) => m.ref === ref, ASK_TIMEOUT_MS, 'the answer to activity');
  expect(answer).toMatchObject({ type: 'error', code: 'VIGIL_ERR_UNAVAILABLE' });
}

/** After the outage: serving again, the overdue warning and then the expiry delivered, the worker running its jobs. */
async function expectRecovered(expect: ExpectStatic, s: Scenario, self: WsClient, sessionId: string): Promise<void> {
  const { t } = s;
  await expect.poll(async () => (await ask(t, 'GET', '/readyz')).status, { timeout: 15_000, interval: 200 }).toBe(200);
  expect((await ask(t, 'GET', '/readyz')).body).toEqual({ status: 'ready', problems: [] });
  expect((await ask(t, 'GET', '/api/v1/realms/default/me', { token: t.adminToken })).status).toBe(200);
  expect((await ask(t, 'POST', '/api/v1/realms/default/login', { body: { username: t.adminUsername, password: t.adminPassword } })).status).toBe(201);

  const warning = await self.waitForEvent('session.warning', sessionId, 20_000);
  expect(warning.data).toMatchObject({ reason: 'idle' });
  const expired = await self.waitForEvent('session.expired', sessionId, 20_000);
  expect(expired.data).toEqual({ reason: 'idle' });
  expect((await self.closed).code).toBe(4401);
  expect(self.events().filter((e) => e.sessionId === sessionId && e.name === 'session.warning')).toHaveLength(1);

  // the BullMQ worker reconnected by itself: no job for a slice that is past is left unprocessed
  expect(t.app.timers.running).toBe(true);
  await expect.poll(async () => {
    const jobs = await t.app.timers.queue.getJobs(['wait', 'delayed', 'active', 'prioritized']);
    return jobs.filter((j) => j && j.data.slice < Date.now() - 3000).length;
  }, { timeout: 15_000, interval: 500 }).toBe(0);
}

/** No stack traces while Redis was out, and one lost / one restored line per client. */
function expectQuietLogs(expect: ExpectStatic, logs: LogCapture, consoleLines: string[]): void {
  const withStack = logs.raw.filter((l) => l.includes('"stack"'));
  expect(withStack).toEqual([]);
  expect(consoleLines).toEqual([]);
  expect(logs.count('redis connection lost; reconnecting', 'commands')).toBe(1);
  expect(logs.count('redis connection restored', 'commands')).toBe(1);
  for (const name of new Set(logs.lines.filter((l) => l.redis).map((l) => l.redis as string))) {
    expect(logs.count('redis connection lost; reconnecting', name), name).toBeLessThanOrEqual(1);
    expect(logs.count('redis connection restored', name), name).toBe(logs.count('redis connection lost; reconnecting', name));
  }
}

// ioredis prints "[ioredis] Unhandled error event: <stack>" for a client nobody listens to, and
// BullMQ console.error()s an error event nobody listens to: both would be stacks outside the log
const consoleLines: string[] = [];
beforeAll(() => {
  for (const k of ['error', 'warn'] as const) vi.spyOn(console, k).mockImplementation((...a: unknown[]) => void consoleLines.push(a.map(String).join(' ')));
});
afterAll(() => vi.restoreAllMocks());

/**
 * Signs in a user with a 30 s token lifetime, subscribes its `self` topic over /ws, and waits
 * until its warning is OUTAGE_LEAD_MS away: the outage then starts before the warning is due.
 */
async function sessionAboutToWarn(t: TestApp): Promise<{ token: string; sessionId: string; warnAt: number; self: WsClient }> {
  await t.createUser('alice', { tokenLifetime: 30 });
  const { token, session } = await t.login('alice', 'alice-password');
  const self = new WsClient(`${t.wsUrl}/ws`, { token });
  await self.opened;
  self.send({ type: 'subscribe', topic: 'self' });
  await self.waitFor((m) => m.type === 'snapshot');
  const warnAt = Date.parse(session.warnAt);
  await sleep(warnAt - OUTAGE_LEAD_MS - Date.now());
  return { token, sessionId: session.id, warnAt, self };
}
const OUTAGE_LEAD_MS = 4000;
/** The outage lasts until this long after the warning came due (the expiry is PROMPT_S after it). */
const OUTAGE_PAST_WARN_MS = 3000;

describe.concurrent('a Redis outage while the server runs', () => {
  it('paused (SIGSTOP): 503 VIGIL_ERR_UNAVAILABLE with Retry-After from /readyz, GET /me and POST /login; after SIGCONT all works and the warning due meanwhile, then the expiry, reach /ws; no stack traces logged', async ({ expect }) => {
    const s: Partial<Scenario> = {};
    try {
      Object.assign(s, await setUp(false));
      const { t, redis, logs } = s as Scenario;
      const { token, sessionId, warnAt, self } = await sessionAboutToWarn(t);

      redis.child.kill('SIGSTOP');
      await expectUnavailable(expect, t, token, self);
      await sleep(warnAt + OUTAGE_PAST_WARN_MS - Date.now());
      await expectUnavailable(expect, t, token, self); // still, with the warning overdue
      expect(self.events().filter((e) => e.name === 'session.warning')).toEqual([]);
      redis.child.kill('SIGCONT');

      await expectRecovered(expect, s as Scenario, self, sessionId);
      expectQuietLogs(expect, logs, consoleLines);
    } finally {
      await tearDown(s);
    }
  }, 120_000);

  it('killed and restarted on the same port: the same 503 answers while it is down; afterwards all works and the warning due meanwhile, then the expiry, reach /ws; no stack traces logged', async ({ expect }) => {
    const s: Partial<Scenario> = {};
    try {
      Object.assign(s, await setUp(true));
      const { t, logs, dir } = s as Scenario;
      const port = s.redis!.port;
      const { token, sessionId, warnAt, self } = await sessionAboutToWarn(t);

      await s.redis!.kill();
      await expectUnavailable(expect, t, token, self);
      await sleep(warnAt + OUTAGE_PAST_WARN_MS - Date.now());
      await expectUnavailable(expect, t, token, self);
      expect(self.events().filter((e) => e.name === 'session.warning')).toEqual([]);
      s.redis = await startRedisServer(port, ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir!]);

      await expectRecovered(expect, s as Scenario, self, sessionId);
      expectQuietLogs(expect, logs, consoleLines);
    } finally {
      await tearDown(s);
    }
  }, 120_000);
});
