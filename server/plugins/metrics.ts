/**
 * `vigil-metrics`: the app's prom-client registry (server/metrics.ts), per-route HTTP
 * durations, and `GET /metrics` behind VIGIL_METRICS_TOKEN.
 */
import fp from 'fastify-plugin';
import { bearerCheck, Metrics } from '../metrics.js';
import { vigilError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export const metricsPlugin = fp(async (app) => {
  const metrics = new Metrics();
  app.decorate('metrics', metrics);
  // per route template (bounded), not per URL; the not-found handler has none
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeRequest(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  const authorized = bearerCheck(app.config.metricsToken);
  app.get('/metrics', async (req, reply) => {
    if (!authorized(req.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw vigilError('VIGIL_ERR_UNAUTHENTICATED', 'GET /metrics needs Authorization: Bearer <VIGIL_METRICS_TOKEN>');
    }
    return reply.type(metrics.contentType()).send(await metrics.render());
  });
}, { name: 'vigil-metrics', dependencies: ['vigil-config'] });
