/**
 * Several processes on one Redis: an API-only process (VIGIL_ROLE=api) serves clients while a
 * worker-only process fires the timers; events written by either reach subscribers on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient } from '../helpers/clients.js';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { FastifyInstance } from 'fastify';

let api: TestApp;
let api2: TestApp;
let worker: FastifyInstance;

beforeAll(async () => {
  api = await startTestApp({ noWorker: true, policy: { expiryPromptSeconds: 5 } });
  api2 = await startTestApp({ noWorker: true, prefix: api.prefix });
  worker = await buildApp({
    config: loadConfig({ REDIS_URL: api.redisUrl, VIGIL_REDIS_PREFIX: api.prefix, VIGIL_ROLE: 'worker', VIGIL_LOG_LEVEL: 'warn' }),
    redisUrl: api.redisUrl,
  });
  await worker.ready();
  await worker.timers.startWorker();
  await api.createUser('alice', { tokenLifetime: 30 });
});
afterAll(async () => {
  await worker?.close();
  await api2?.close();
  await api?.close();
});

describe('an API process and a worker process sharing Redis', () => {
  it('an API-only process is ready without a worker of its own', async () => {
    expect((await api.api('GET', '/readyz')).body).toEqual({ status: 'ready', problems: [] });
  });

  it('fires the warning and expiry from the worker to subscribers on either API process', async () => {
    const { token, session } = await api.login('alice', 'alice-password');
    const self = new WsClient(`${api.wsUrl}/ws`, { token });
    await self.opened;
    self.send({ type: 'subscribe', topic: 'self' });
    const viewer = new SioClient(api2.url, { token: api.adminToken });
    await viewer.connected();
    await viewer.request('subscribe', { topic: 'sessions' });

    await self.waitForEvent('session.warning', session.id, 60_000);
    await viewer.waitForEvent('session.warning', session.id, 10_000);
    await self.waitForEvent('session.expired', session.id, 30_000);
    await viewer.waitForEvent('session.expired', session.id, 10_000);
    expect(viewer.events().filter((e) => e.sessionId === session.id && e.name === 'session.expired')).toHaveLength(1);
    expect((await api2.api('GET', '/me', { token })).status).toBe(401);
    viewer.close();
  }, 90_000);

  it('a termination made on one API process closes the self socket held by the other', async () => {
    const { token, session } = await api.login('alice', 'alice-password');
    const self = new WsClient(`${api2.wsUrl}/ws`, { token });
    await self.opened;
    self.send({ type: 'subscribe', topic: 'self' });
    await self.waitFor((m) => m.type === 'snapshot');
    expect((await api.api('DELETE', `/sessions/${session.id}`, { token: api.adminToken })).status).toBe(204);
    await self.waitForEvent('session.terminated', session.id);
    expect((await self.closed).code).toBe(4401);
  });
});
