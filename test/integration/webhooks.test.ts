/**
 * Webhooks: a real HTTP receiver on loopback gets the realm's events, signed per Standard
 * Webhooks (verified with the `standardwebhooks` package), in stream order, at least once,
 * retried with backoff while it fails, every attempt in the delivery log; the secret is shown
 * once; redelivery; disabling after the (shortened) retry window with `webhook.disabled`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver, until } from '../helpers/receiver.js';
import { WsClient } from '../helpers/clients.js';
import type { VigilEvent } from '../../shared/protocol.js';

let t: TestApp;
const receivers: Receiver[] = [];
const receiver = async () => {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
};

beforeAll(async () => {
  t = await startTestApp({ env: { VIGIL_WEBHOOK_ALLOW_PRIVATE: '1' } });
  // retries come quickly here: the backoff's shape is the same, only its unit shorter
  t.app.outbound.options.firstRetryMs = 200;
});
afterAll(async () => {
  for (const r of receivers) await r.stop();
  await t?.close();
});

const create = async (body: Record<string, unknown>) => {
  const r = await t.api('POST', '/webhooks', { token: t.adminToken, body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.webhook as { id: string; secret: string };
};

function verified(secret: string, r: { headers: Record<string, unknown>; body: string }): VigilEvent {
  const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(r.headers[h])]));
  return new Webhook(secret).verify(r.body, headers) as VigilEvent;
}

describe('webhooks', () => {
  it('shows the secret once, at creation', async () => {
    const rec = await receiver();
    const hook = await create({ url: rec.url, events: ['session.*'], description: 'ops' });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const read = await t.api('GET', `/webhooks/${hook.id}`, { token: t.adminToken });
    expect(read.status).toBe(200);
    expect(read.body.webhook).toMatchObject({ id: hook.id, url: rec.url, events: ['session.*'], description: 'ops', enabled: true, failingSince: null });
    expect(read.body.webhook.secret).toBeUndefined();
    const list = await t.api('GET', '/webhooks', { token: t.adminToken });
    expect(list.body.webhooks.find((w: { id: string }) => w.id === hook.id).secret).toBeUndefined();
    expect((await t.api('DELETE', `/webhooks/${hook.id}`, { token: t.adminToken })).status).toBe(204);
    expect((await t.api('GET', `/webhooks/${hook.id}`, { token: t.adminToken })).status).toBe(404);
  });

  it('is for admins only', async () => {
    await t.createUser('viewer1', { roles: ['viewer'] });
    const viewer = await t.login('viewer1', 'viewer1-password');
    expect((await t.api('GET', '/webhooks', { token: viewer.token })).status).toBe(403);
    expect((await t.api('POST', '/webhooks', { token: viewer.token, body: { url: 'https://example.com', events: ['*'] } })).status).toBe(403);
  });

  it('delivers signed events, only those it asked for, with the envelope as the stream has it', async () => {
    const rec = await receiver();
    const hook = await create({ url: rec.url, events: ['session.started', 'session.ended'] });
    await t.createUser('sig1');
    const s = await t.login('sig1', 'sig1-password');
    await t.api('POST', '/sessions/current/activity', { token: s.token });
    expect((await t.api('POST', '/logout', { token: s.token })).status).toBe(204);
    await until(() => rec.received.length >= 2, 10_000, 'two deliveries');
    const events = rec.received.map((r) => verified(hook.secret, r));
    expect(events.map((e) => e.name)).toEqual(['session.started', 'session.ended']);
    expect(events[0]).toMatchObject({ realm: 'default', sessionId: s.session.id, session: { id: s.session.id, user: { username: 'sig1' } } });
    expect(rec.received[0]!.headers['webhook-id']).toBe(`default:${events[0]!.id}`);
    expect(rec.received[0]!.headers['content-type']).toBe('application/json');
    // a tampered body does not verify
    expect(() => verified(hook.secret, { ...rec.received[0]!, body: rec.received[0]!.body.replace('sig1', 'sig2') })).toThrow();
    await t.api('DELETE', `/webhooks/${hook.id}`, { token: t.adminToken });
  });

  it('delivers every event of 30 fast sessions, in stream order', async () => {
    const rec = await receiver();
    const hook = await create({ url: rec.url, events: ['session.started', 'session.ended', 'session.terminated'] });
    await t.createUser('fast');
    const ids: string[] = [];
    await Promise.all(Array.from({ length: 30 }, async () => {
      // minted by the admin (POST /sessions): 30 password sign-ins at once would meet the login limit
      const s = (await t.api('POST', '/sessions', { token: t.adminToken, body: { username: 'fast' } })).body;
      ids.push(s.session.id);
      await t.api('POST', '/logout', { token: s.token });
    }));
    await until(() => rec.received.length >= 60, 20_000, '60 deliveries');
    await new Promise((r) => setTimeout(r, 300));
    const events = rec.received.map((r) => verified(hook.secret, r));
    // at least once: a duplicate would be allowed, but none is expected here; order is the stream's
    const unique = [...new Map(events.map((e) => [e.id, e])).values()];
    expect(unique.map((e) => e.id)).toEqual([...unique.map((e) => e.id)].sort((a, b) => {
      const [am, as] = a.split('-').map(Number);
      const [bm, bs] = b.split('-').map(Number);
      return am! - bm! || as! - bs!;
    }));
    for (const id of ids) {
      const mine = unique.filter((e) => e.sessionId === id).map((e) => e.name);
      expect(mine, id).toEqual(['session.started', 'session.ended']);
    }
    expect(unique).toHaveLength(60);
    await t.api('DELETE', `/webhooks/${hook.id}`, { token: t.adminToken });
  });

  it('retries a failing receiver with backoff, keeping order, and logs every attempt', async () => {
    const rec = await receiver();
    rec.respond = (n) => (n < 3 ? 503 : 200);
    const hook = await create({ url: rec.url, events: ['policy.updated'] });
    // as the contract tells clients: a 503 (Redis failing over, a cluster slot moved) is tried again
    const patch = async (body: object) => {
      for (let i = 0; ; i++) {
        const r = await t.api('PATCH', '/policy', { token: t.adminToken, body });
        if (r.status !== 503 || i === 5) return expect(r.status).toBe(200);
        await new Promise((res) => setTimeout(res, 1000));
      }
    };
    await patch({ expiryPromptSeconds: 31 });
    await patch({ expiryPromptSeconds: 30 });
    await until(() => rec.received.length >= 2, 25_000, 'both events after the retries');
    const events = rec.received.map((r) => verified(hook.secret, r));
    expect(events.map((e) => e.data.fields)).toEqual([['expiryPromptSeconds'], ['expiryPromptSeconds']]);
    expect(Date.parse(events[0]!.at)).toBeLessThan(Date.parse(events[1]!.at));
    const log = (await t.api('GET', `/webhooks/${hook.id}/deliveries`, { token: t.adminToken })).body.deliveries;
    // newest first: the second event's success, then the first event's four attempts
    expect(log.map((d: { attempt: number; statusCode: number }) => [d.attempt, d.statusCode])).toEqual([[1, 200], [4, 200], [3, 503], [2, 503], [1, 503]]);
    expect(log[1]).toMatchObject({ webhookId: hook.id, eventId: events[0]!.id, error: null });
    expect(log[2].error).toMatch(/503/);
    expect(log[4].durationMs).toBeGreaterThanOrEqual(0);
    // the waits doubled: 200 ms, 400 ms, 800 ms (at least)
    const at = log.slice(1).reverse().map((d: { at: string }) => Date.parse(d.at));
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(190);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(390);
    expect(at[3] - at[2]).toBeGreaterThanOrEqual(790);
    expect((await t.api('GET', `/webhooks/${hook.id}`, { token: t.adminToken })).body.webhook.failingSince).toBeNull();
    // and /metrics counts the attempts by outcome
    const metrics = String((await t.api('GET', '/metrics')).body);
    expect(Number(/vigil_outbound_attempts_total\{kind="webhook",outcome="failed"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/vigil_outbound_queue_jobs\{state="delayed"\}/);

    // redelivery: the same event once more, as a new attempt
    const again = await t.api('POST', `/webhooks/${hook.id}/deliveries`, { token: t.adminToken, body: { eventId: events[0]!.id } });
    expect(again.status).toBe(202);
    await until(() => rec.received.length >= 3, 10_000, 'the redelivery');
    expect(verified(hook.secret, rec.received[2]!).id).toBe(events[0]!.id);
    expect((await t.api('POST', `/webhooks/${hook.id}/deliveries`, { token: t.adminToken, body: { eventId: '1-0' } })).status).toBe(404);
    await t.api('DELETE', `/webhooks/${hook.id}`, { token: t.adminToken });
  }, 45_000);

  it('disables a webhook that fails for the whole retry window, with webhook.disabled (admins only)', async () => {
    const rec = await receiver();
    rec.respond = () => 500;
    const watcher = await receiver();
    const watching = await create({ url: watcher.url, events: ['webhook.*'] });
    // live subscribers: an admin sees webhook.disabled, a viewer does not (the URL may carry the receiver's secret)
    await t.createUser('viewer2', { roles: ['viewer'] });
    const viewer = await t.login('viewer2', 'viewer2-password');
    const asAdmin = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    const asViewer = new WsClient(`${t.wsUrl}/ws`, { token: viewer.token });
    for (const c of [asAdmin, asViewer]) {
      await c.waitFor((m) => m.type === 'hello');
      c.send({ type: 'subscribe', topic: 'sessions' });
      await c.waitFor((m) => m.type === 'snapshot');
    }
    t.app.outbound.options.retryWindowMs = 1500;
    try {
      const hook = await create({ url: rec.url, events: ['policy.updated'] });
      await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 29 } });
      await until(() => watcher.received.length >= 1, 15_000, 'webhook.disabled');
      const e = verified(watching.secret, watcher.received[0]!);
      expect(e.name).toBe('webhook.disabled');
      expect(e.data).toMatchObject({ id: hook.id, url: rec.url, reason: 'failing' });
      expect((await asAdmin.waitForEvent('webhook.disabled')).data).toMatchObject({ id: hook.id });
      await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 29 } });
      await asViewer.waitForEvent('policy.updated');
      expect(asViewer.events().map((x) => x.name)).not.toContain('webhook.disabled');
      const read = (await t.api('GET', `/webhooks/${hook.id}`, { token: t.adminToken })).body.webhook;
      expect(read.enabled).toBe(false);
      const tries = rec.requests;
      await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 30 } });
      await new Promise((r) => setTimeout(r, 1000));
      expect(rec.requests).toBe(tries);
      // enabled again, it delivers what comes from now on
      rec.respond = () => 200;
      expect((await t.api('PATCH', `/webhooks/${hook.id}`, { token: t.adminToken, body: { enabled: true } })).body.webhook).toMatchObject({ enabled: true, failingSince: null });
      await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 28 } });
      await until(() => rec.received.length >= 1, 10_000, 'a delivery after re-enabling');
      expect(JSON.parse(rec.received[0]!.body).data.fields).toEqual(['expiryPromptSeconds']);
    } finally {
      t.app.outbound.options.retryWindowMs = 24 * 3600_000;
      asAdmin.close();
      asViewer.close();
    }
  });
});
