/**
 * `vigil-realms`: creating and removing realms (server/realms/service.ts).
 */
import fp from 'fastify-plugin';
import { RealmService } from '../realms/service.js';

declare module 'fastify' {
  interface FastifyInstance {
    realmService: RealmService;
  }
}

export const realmsPlugin = fp(async (app) => {
  app.decorate('realmService', new RealmService(app.redis, app.keys, app.realms, app.users, app.engine));
}, { name: 'vigil-realms', dependencies: ['vigil-stores', 'vigil-sessions'] });
