/**
 * `vigil-outbound`: webhooks and OIDC Back-Channel Logout (server/outbound/delivery.ts) — the
 * realm's events delivered outward at least once, in stream order per webhook, by BullMQ jobs.
 * Its worker starts where the timer worker does (VIGIL_ROLE all or worker: server/main.ts).
 */
import fp from 'fastify-plugin';
import { OutboundService } from '../outbound/delivery.js';
import { LogoutTokens } from '../outbound/backchannel.js';
import { untilReady } from '../redis/connect.js';
import { QUEUE_STATES } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    outbound: OutboundService;
  }
}

export const outboundPlugin = fp(async (app) => {
  // as the timers: the producer fails fast on the request path, the worker waits an outage out
  const queueConnection = app.openRedis('commands', 'outbound queue');
  const tokens = new LogoutTokens(app.oidc, (realm) => `${app.publicUrl()}/realms/${realm}`);
  const outbound = new OutboundService(app.redis, app.keys, app.engine, tokens, app.openRedis('bullmq', 'outbound'), queueConnection, app.log, app.metrics, {
    allowPrivate: app.config.webhookAllowPrivate,
  });
  app.decorate('outbound', outbound);
  app.metrics.outboundQueue(() => outbound.queue.getJobCounts(...QUEUE_STATES));
  // a removed realm's keys (its webhooks and cursors) go with it; the sweep need not look at it any more
  app.realmService.onRemoved((realm) => void app.redis.srem(app.keys.outboundRealms(), realm).catch(() => {}));
  app.addHook('onClose', () => outbound.close());
  await untilReady(queueConnection);
}, { name: 'vigil-outbound', dependencies: ['vigil-oidc', 'vigil-redis', 'vigil-sessions', 'vigil-config', 'vigil-realms', 'vigil-metrics'] });
