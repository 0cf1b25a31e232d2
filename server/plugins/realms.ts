/**
 * `vigil-realms`: creating and removing realms (server/realms/service.ts), and the wall's
 * counters across nodes (server/realms/stats.ts), which this process reports while it is up.
 */
import fp from 'fastify-plugin';
import { RealmService } from '../realms/service.js';
import { StatsService } from '../realms/stats.js';

declare module 'fastify' {
  interface FastifyInstance {
    realmService: RealmService;
    stats: StatsService;
  }
}

export const realmsPlugin = fp(async (app) => {
  app.decorate('realmService', new RealmService(app.redis, app.keys, app.realms, app.users, app.engine));
  const stats = new StatsService(app.redis, app.keys, app.realms, app.nodeId, (realm) => app.hub.clientCount(realm));
  app.decorate('stats', stats);
  // the `stats` real-time topic pushes the same object (server/realtime/stats-feed.ts)
  app.hub.statsFeeds.serve((realm) => stats.get(realm));
  app.addHook('onReady', async () => stats.startReporting());
  app.addHook('onClose', () => stats.stopReporting());
}, { name: 'vigil-realms', dependencies: ['vigil-stores', 'vigil-sessions', 'vigil-realtime'] });
