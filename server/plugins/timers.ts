/**
 * `vigil-timers`: the timer wheel (server/timers/wheel.ts) — BullMQ delayed jobs that fire the
 * warnings and expiries. Its worker starts when the process's role asks for it (server/main.ts).
 */
import fp from 'fastify-plugin';
import { TimerWheel } from '../timers/wheel.js';
import { QUEUE_STATES } from '../metrics.js';
import { untilReady } from '../redis/connect.js';

declare module 'fastify' {
  interface FastifyInstance {
    timers: TimerWheel;
  }
}

export const timersPlugin = fp(async (app) => {
  // the producer is on the request path (fails fast, like `redis`); the worker's connection is
  // BullMQ's kind (maxRetriesPerRequest: null) and waits an outage out
  const queueConnection = app.openRedis('commands', 'timer queue');
  const timers = new TimerWheel(app.redis, app.keys, app.openRedis('bullmq', 'timers'), app.metrics, app.log, queueConnection);
  app.decorate('timers', timers);
  app.metrics.timerQueue(() => timers.queue.getJobCounts(...QUEUE_STATES));
  app.addHook('onClose', () => timers.close());
  await untilReady(queueConnection);
}, { name: 'vigil-timers', dependencies: ['vigil-redis', 'vigil-metrics'] });
