/**
 * Nothing lost across a crash: events are made while the receiver is down, Vigil (the real
 * server/main.ts, a child process) is killed with SIGKILL, then the receiver and Vigil come back
 * and more events are made; the receiver gets every event, signed, in stream order.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { Webhook } from 'standardwebhooks';
import { deleteKeys, testPrefix } from '../helpers/app.js';
import { startServerProcess } from '../helpers/server-process.js';
import { Receiver, until } from '../helpers/receiver.js';
import { compareStreamIds } from '../../server/sessions/format.js';
import type { VigilEvent } from '../../shared/protocol.js';

const redisUrl = inject('redisUrl');
const prefix = testPrefix();
const children: ChildProcess[] = [];
const receivers: Receiver[] = [];

const startServer = () => startServerProcess({ REDIS_URL: redisUrl, VIGIL_REDIS_PREFIX: prefix, VIGIL_ADMIN_PASSWORD: 'admin-password-1', VIGIL_LOG_LEVEL: 'error', VIGIL_WEBHOOK_ALLOW_PRIVATE: '1' }, children);

async function api(url: string, method: string, p: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${url}/api/v1/realms/default${p}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    // a child just started on a busy machine may answer 503 (Redis slow to answer within 2 s):
    // do what the answer says, retry after Retry-After (nothing was half-written)
    if (res.status === 503 && attempt < 4) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      continue;
    }
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  }
}

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const r of receivers) await r.stop();
  await deleteKeys(redisUrl, prefix);
});

describe('webhooks across a SIGKILL of Vigil', () => {
  it('lose nothing while the receiver is down and Vigil is killed, then both come back', async () => {
    // a port that is free, with nothing listening on it for now: the receiver is down
    const probe = await new Receiver().start();
    const port = probe.port;
    await probe.stop();

    const first = await startServer();
    const admin = (await api(first.url, 'POST', '/login', undefined, { username: 'admin', password: 'admin-password-1' })).body;
    await api(first.url, 'POST', '/users', admin.token, { username: 'alice', password: 'alice-password' });
    const created = await api(first.url, 'POST', '/webhooks', admin.token, { url: `http://127.0.0.1:${port}/hook`, events: ['session.started', 'session.ended'] });
    expect(created.status).toBe(201);
    const { id, secret } = created.body.webhook as { id: string; secret: string };

    const made: string[] = [];
    const mint = async (url: string, logout: boolean) => {
      const r = await api(url, 'POST', '/sessions', admin.token, { username: 'alice' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const s = r.body;
      made.push(s.session.id);
      if (logout) expect((await api(url, 'POST', '/logout', s.token)).status).toBe(204);
    };
    for (let i = 0; i < 8; i++) await mint(first.url, i % 2 === 0);
    // the first attempts fail (nothing listens), and are in the log
    await until(async () => (await api(first.url, 'GET', `/webhooks/${id}/deliveries`, admin.token)).body.deliveries.length >= 2, 10_000, 'failed attempts');
    const failed = (await api(first.url, 'GET', `/webhooks/${id}/deliveries`, admin.token)).body.deliveries;
    expect(failed[0].statusCode).toBeNull();
    expect(failed[0].error).toBeTruthy();

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const rec = await new Receiver().start(port);
    receivers.push(rec);
    const second = await startServer();
    // the admin's session survived the crash (Redis holds it)
    for (let i = 0; i < 4; i++) await mint(second.url, true);

    // 12 sessions started, 8 of them ended
    await until(() => new Set(rec.received.map((r) => r.headers['webhook-id'])).size >= 20, 60_000, 'all 20 events');
    const wh = new Webhook(secret);
    const events = rec.received.map((r) => wh.verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']),
    }) as VigilEvent);
    const unique = [...new Map(events.map((e) => [e.id, e])).values()];
    // in stream order (at least once: a repeat, if any, comes right where the crash was)
    for (let i = 1; i < unique.length; i++) expect(compareStreamIds(unique[i - 1]!.id, unique[i]!.id)).toBeLessThan(0);
    expect(unique.filter((e) => e.name === 'session.started').map((e) => e.sessionId)).toEqual(made);
    expect(unique.filter((e) => e.name === 'session.ended')).toHaveLength(8);
  }, 120_000);
});
