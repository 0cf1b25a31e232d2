/**
 * Vigil's services, each a fastify-plugin with a name, its dependencies and a typed decorator
 * (fastify-plugin refuses to register one before what it depends on). Registered at the root,
 * so routes and transports read them off the instance (`app.engine`, `req.server.auth`), and
 * tests can build any number of isolated apps in one process.
 */
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { configPlugin } from './config.js';
import { metricsPlugin } from './metrics.js';
import { redisPlugin } from './redis.js';
import { timersPlugin } from './timers.js';
import { sessionsPlugin } from './sessions.js';
import { storesPlugin } from './stores.js';
import { realtimePlugin } from './realtime.js';
import { realmsPlugin } from './realms.js';
import { authPlugin } from './auth.js';
import { oidcServicePlugin } from './oidc.js';
import { mailPlugin } from './mail.js';
import { outboundPlugin } from './outbound.js';

export const vigilServices = fp<{ config: Config; redisUrl: string }>(async (app, opts) => {
  await app.register(configPlugin, { config: opts.config });
  await app.register(metricsPlugin);
  await app.register(redisPlugin, { redisUrl: opts.redisUrl });
  await app.register(timersPlugin);
  await app.register(sessionsPlugin);
  await app.register(storesPlugin);
  await app.register(realtimePlugin);
  await app.register(realmsPlugin);
  await app.register(authPlugin);
  await app.register(oidcServicePlugin);
  await app.register(mailPlugin);
  await app.register(outboundPlugin);
}, { name: 'vigil-services' });
