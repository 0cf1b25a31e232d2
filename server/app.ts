/**
 * Builds the whole Vigil app as a Fastify instance: services, REST API, both real-time
 * transports, operations endpoints and the dashboard. `main.ts` only listens and shuts down;
 * tests build the real app in-process.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import { FailureLog, isRedisUnavailable, pingWithin, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE } from './redis/connect.js';
import { vigilServices } from './plugins/index.js';
import { errorBody, isVigilError, vigilError } from './errors.js';
import { closeGoingAway, onSocketError, wsTransport, WS_OPTIONS } from './realtime/ws.js';
import { socketIoTransport } from './realtime/socketio.js';
import { sessionRoutes } from './routes/sessions.js';
import { adminRoutes } from './routes/admin.js';
import { mailRoutes } from './routes/mail.js';
import { eventRoutes } from './routes/events.js';
import { webhookRoutes } from './routes/webhooks.js';
import { oidcRoutes } from './oidc/plugin.js';
import { actionPages } from './mail/action-pages.js';
import { realmRoutes } from './routes/realms.js';
import { asyncApiRoute } from './docs/asyncapi.js';
import { loggerOptions } from './log.js';
import { schemaController, schemaErrorFormatter } from './schemas/validation.js';
import { addSharedSchemas } from './schemas/index.js';
import { apiDocs } from './docs.js';
import { errorResponses } from './schemas/errors.js';
import { Health, Readiness } from './schemas/operations.js';

export const WEB_DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');
const API_PREFIXES = ['/api/', '/realms/', '/ws', '/socket.io/', '/metrics', '/healthz', '/readyz', '/docs'];

export interface BuildOptions {
  config: Config;
  /** The embedded server's URL, or REDIS_URL (for cluster and sentinel, a comma-separated list). */
  redisUrl: string;
  logger?: boolean | object;
}

export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const app = Fastify({
    logger: loggerOptions(config, opts.logger),
    // a hop count is valid at run time (proxy-addr's trust function) though the type omits it
    trustProxy: config.trustProxy as boolean | string[],
    bodyLimit: 64 * 1024,
    // one line per request drowns the log at thousands of requests a second; debug shows them
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
    // route schemas validate and document (server/schemas): bodies strictly, unknown fields refused by name
    schemaController,
    schemaErrorFormatter,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const failures = new FailureLog(app.log);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isVigilError(err)) return reply.code(err.statusCode).send(errorBody(err));
    if (isRedisUnavailable(err)) {
      failures.report(err, { method: req.method, url: req.routeOptions.url }, 'requests failing');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(errorBody(vigilError('VIGIL_ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE)));
    }
    if (err.validation || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.statusCode === 400 || err.statusCode === 415) {
      return reply.code(400).send(errorBody(vigilError('VIGIL_ERR_VALIDATION', err.message)));
    }
    if (err.statusCode === 413) return reply.code(413).send({ statusCode: 413, code: 'VIGIL_ERR_VALIDATION', error: 'Payload Too Large', message: 'the body is larger than 64 KiB' });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(vigilError('VIGIL_ERR_INTERNAL')));
  });

  addSharedSchemas(app);
  await app.register(apiDocs); // before the routes, so that it sees them all
  await app.register(vigilServices, { config, redisUrl: opts.redisUrl });
  await app.register(cookie);
  await app.register(websocket, { options: WS_OPTIONS, preClose: closeGoingAway, errorHandler: onSocketError });

  await app.register(async (api) => {
    await api.register(sessionRoutes);
    await api.register(adminRoutes);
    await api.register(mailRoutes);
    await api.register(eventRoutes);
    await api.register(webhookRoutes);
  }, { prefix: '/api/v1/realms/:realm' });

  await app.register(oidcRoutes);
  await app.register(actionPages);
  await app.register(realmRoutes);
  await app.register(wsTransport);
  await app.register(socketIoTransport);
  await app.register(asyncApiRoute);

  const ops = { tags: ['operations'] };
  app.get('/healthz', { schema: { ...ops, summary: 'The process is up', response: { 200: Health, ...errorResponses() } } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', {
    schema: { ...ops, summary: 'Ready to serve', description: 'Redis reachable and, unless VIGIL_ROLE=api, the timer and delivery (webhook) workers running; 503 within 2 s otherwise.', response: { 200: Readiness, 503: Readiness } },
  }, async (_req, reply) => {
    const problems: string[] = [];
    if (!(await pingWithin(app.redis))) problems.push('redis unreachable');
    if (config.role !== 'api' && !app.timers.running) problems.push('timer worker not running');
    if (config.role !== 'api' && !app.outbound.running) problems.push('delivery worker not running');
    if (problems.length) return reply.code(503).send({ status: 'unavailable', problems });
    return reply.code(200).send({ status: 'ready', problems });
  });
  // the dashboard
  const built = existsSync(path.join(WEB_DIST, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, { root: WEB_DIST, index: false, wildcard: true });
    app.get('/', (_req, reply) => reply.sendFile('index.html'));
    app.get('/wall', (_req, reply) => reply.sendFile('wall.html'));
  }
  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0]!;
    if (req.method === 'GET' && !API_PREFIXES.some((p) => url.startsWith(p)) && !path.extname(url)) {
      if (built) return reply.sendFile('index.html');
      return reply.code(503).type('text/plain').send('The dashboard is not built: run `npm run build` (npm install does it for you).\n');
    }
    return reply.code(404).send(errorBody(vigilError('VIGIL_ERR_NOT_FOUND', `no route ${req.method} ${url}`)));
  });

  return app;
}
