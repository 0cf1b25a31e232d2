/**
 * `vigil-stores`: realm policies, users and display keys, as stored in Redis.
 */
import fp from 'fastify-plugin';
import { RealmStore } from '../realms/store.js';
import { UserStore } from '../users/store.js';
import { DisplayKeyStore } from '../auth/display-keys.js';

declare module 'fastify' {
  interface FastifyInstance {
    realms: RealmStore;
    users: UserStore;
    displayKeys: DisplayKeyStore;
  }
}

export const storesPlugin = fp(async (app) => {
  app.decorate('realms', new RealmStore(app.redis, app.keys));
  app.decorate('users', new UserStore(app.redis, app.keys));
  app.decorate('displayKeys', new DisplayKeyStore(app.redis, app.keys));
}, { name: 'vigil-stores', dependencies: ['vigil-redis'] });
