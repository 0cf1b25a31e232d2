/**
 * `vigil-oidc`: the OpenID Connect provider's service (clients, signing keys, tokens). Its access
 * tokens are one more credential the authenticator accepts, and a removed realm's signing keys
 * are forgotten. The protocol routes are server/oidc/plugin.ts.
 */
import fp from 'fastify-plugin';
import { OidcService } from '../oidc/service.js';

declare module 'fastify' {
  interface FastifyInstance {
    oidc: OidcService;
  }
}

export const oidcServicePlugin = fp(async (app) => {
  const oidc = new OidcService(app);
  app.decorate('oidc', oidc);
  app.auth.addResolver(oidc.resolver);
  app.realmService.onRemoved((realm) => oidc.signing.forget(realm));
}, { name: 'vigil-oidc', dependencies: ['vigil-redis', 'vigil-stores', 'vigil-sessions', 'vigil-auth', 'vigil-realms'] });
