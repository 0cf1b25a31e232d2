/**
 * `vigil-sessions`: the session engine (server/sessions/engine.ts), which owns every session's
 * lifecycle in Redis and hands new time slices to the timer wheel; and the history of the
 * events it records (server/sessions/history.ts).
 */
import fp from 'fastify-plugin';
import { SessionEngine } from '../sessions/engine.js';
import { EventHistory } from '../sessions/history.js';

declare module 'fastify' {
  interface FastifyInstance {
    engine: SessionEngine;
    /** The realm's recorded events, for GET /events (sessions/history.ts). */
    history: EventHistory;
  }
}

export const sessionsPlugin = fp(async (app) => {
  app.decorate('engine', new SessionEngine(app.redis, app.keys, app.timers.schedule));
  app.decorate('history', new EventHistory(app.redis, app.keys));
}, { name: 'vigil-sessions', dependencies: ['vigil-redis', 'vigil-timers'] });
