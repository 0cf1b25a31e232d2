/**
 * `vigil-sessions`: the session engine (server/sessions/engine.ts), which owns every session's
 * lifecycle in Redis and hands new time slices to the timer wheel.
 */
import fp from 'fastify-plugin';
import { SessionEngine } from '../sessions/engine.js';

declare module 'fastify' {
  interface FastifyInstance {
    engine: SessionEngine;
  }
}

export const sessionsPlugin = fp(async (app) => {
  app.decorate('engine', new SessionEngine(app.redis, app.keys, app.timers.schedule));
}, { name: 'vigil-sessions', dependencies: ['vigil-redis', 'vigil-timers'] });
