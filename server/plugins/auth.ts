/**
 * `vigil-auth`: the one way in (server/auth/authenticate.ts) and password sign-in with its
 * limits (server/auth/login.ts), shared by REST, the OIDC login form and the password grant.
 */
import fp from 'fastify-plugin';
import { Authenticator, originPolicy } from '../auth/authenticate.js';
import { LoginLimiter } from '../auth/login-limiter.js';
import { LoginService } from '../auth/login.js';
import type { Principal } from '../auth/principal.js';

declare module 'fastify' {
  interface FastifyInstance {
    auth: Authenticator;
    /** Password sign-in for REST, the OIDC login form and the password grant. */
    login: LoginService;
  }
  interface FastifyRequest {
    /** Who is asking, once the guard (server/auth/guard.ts) has identified them. */
    principal: Principal | null;
    /** The credential came from the cookie (so its writes are origin-checked). */
    viaCookie: boolean;
  }
}

export const authPlugin = fp(async (app) => {
  app.decorate('auth', new Authenticator(app.engine, app.displayKeys, app.realms, originPolicy(app.config)));
  app.decorateRequest('principal', null);
  app.decorateRequest('viaCookie', false);
  app.decorate('login', new LoginService(app.engine, app.users, new LoginLimiter(app.redis, app.keys), app.metrics));
}, { name: 'vigil-auth', dependencies: ['vigil-config', 'vigil-stores', 'vigil-sessions', 'vigil-metrics'] });
