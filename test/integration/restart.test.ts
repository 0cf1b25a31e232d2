/**
 * Crash safety: the server process is killed with SIGKILL and started again; a warning that
 * came due while it was down fires once after the restart, then the expiry fires once.
 * Runs the real `server/main.ts` as a child process against the suite's Redis.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { deleteKeys, testPrefix } from '../helpers/app.js';
import { startServerProcess } from '../helpers/server-process.js';
import { WsClient, sleep } from '../helpers/clients.js';

const redisUrl = inject('redisUrl');
const prefix = testPrefix();
const children: ChildProcess[] = [];

const startServer = () => startServerProcess({ REDIS_URL: redisUrl, VIGIL_REDIS_PREFIX: prefix, VIGIL_ADMIN_PASSWORD: 'admin-password-1', VIGIL_LOG_LEVEL: 'warn' }, children);

async function api(url: string, method: string, p: string, token?: string, body?: unknown) {
  const res = await fetch(`${url}/api/v1/realms/default${p}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await deleteKeys(redisUrl, prefix);
});

describe('a restart after SIGKILL', () => {
  it('fires a warning that came due while the server was down exactly once, then the expiry once', async () => {
    const first = await startServer();
    const admin = (await api(first.url, 'POST', '/login', undefined, { username: 'admin', password: 'admin-password-1' })).body;
    await api(first.url, 'PATCH', '/policy', admin.token, { expiryPromptSeconds: 15 });
    await api(first.url, 'POST', '/users', admin.token, { username: 'alice', password: 'alice-password', tokenLifetime: 30 });
    const alice = (await api(first.url, 'POST', '/login', undefined, { username: 'alice', password: 'alice-password' })).body;
    const { warnAt, expiresAt } = alice.session;

    const watcher = new WsClient(`${first.url.replace('http', 'ws')}/ws`, { token: admin.token });
    await watcher.opened;
    watcher.send({ type: 'subscribe', topic: 'sessions' });
    const snapshot = await watcher.waitFor((m) => m.type === 'snapshot');
    const cursor = snapshot.cursor as string;

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await watcher.closed;

    // stay down until the warning is overdue (but the expiry is not)
    await sleep(Math.max(0, Date.parse(warnAt) - Date.now() + 2000));
    const second = await startServer();

    // the session survived the crash
    const me = await api(second.url, 'GET', '/me', alice.token);
    expect(me.status).toBe(200);

    const resumed = new WsClient(`${second.url.replace('http', 'ws')}/ws`, { token: admin.token });
    await resumed.opened;
    resumed.send({ type: 'subscribe', topic: 'sessions', since: cursor });
    await resumed.waitForEvent('session.warning', alice.session.id, 20_000);
    await resumed.waitForEvent('session.expired', alice.session.id, Date.parse(expiresAt) - Date.now() + 20_000);
    await sleep(2000); // anything doubled would have arrived by now
    const mine = resumed.events().filter((e) => e.sessionId === alice.session.id).map((e) => e.name);
    expect(mine.filter((n) => n === 'session.warning')).toHaveLength(1);
    expect(mine.filter((n) => n === 'session.expired')).toHaveLength(1);
    expect(mine.indexOf('session.warning')).toBeLessThan(mine.indexOf('session.expired'));
    expect((await api(second.url, 'GET', '/me', alice.token)).status).toBe(401);
    resumed.close();
    second.child.kill('SIGTERM');
  }, 120_000);
});
