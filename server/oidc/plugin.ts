/**
 * The OpenID Connect provider at Keycloak's paths (/realms/{realm}/protocol/openid-connect/…)
 * and its client management API. Registered by app.ts at the root; the provider's service is
 * the `vigil-oidc` plugin (server/plugins/oidc.ts).
 *
 * The protocol routes live in one encapsulated context with their own error handler, so that
 * every failure there is an RFC 6749 §5.2 body (never the REST API's shape, never a stack), their
 * own form-body parser, CORS for the clients' web origins, and per-address limits (one
 * @fastify/rate-limit in Redis) on requests that carry a password and on authorization requests
 * (each makes a login record; see authorize.ts).
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import { isOAuthError, oauthError } from './errors.js';
import { tokenEndpoint } from './token-endpoint.js';
import { protocolEndpoints } from './endpoints.js';
import { AUTHORIZATION_PATH, authorizationEndpoint } from './authorize.js';
import { clientRoutes } from './clients-api.js';
import { identityProviderRoutes } from './identity-providers-api.js';
import { messagePage, pageHeaders } from './pages.js';
import { isRedisUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE } from '../redis/connect.js';

function isPasswordAttempt(req: FastifyRequest): boolean {
  const b = req.body as Record<string, unknown> | undefined;
  if (req.url.includes('/login-actions/')) return typeof b?.password === 'string';
  return b?.grant_type === 'password';
}

export async function oidcRoutes(app: FastifyInstance): Promise<void> {
  const { oidc } = app;
  const perMinute = app.config.passwordAttemptsPerMinute;

  await app.register(async (api) => {
    await api.register(clientRoutes);
    await api.register(identityProviderRoutes);
  }, { prefix: '/api/v1/realms/:realm' });

  await app.register(async (op) => {
    await op.register(formbody, { bodyLimit: 64 * 1024 });
    await op.register(rateLimit, {
      global: false,
      hook: 'preHandler',
      redis: app.redis,
      nameSpace: app.keys.rateLimits(),
      skipOnError: true,
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (req) => `${(req.params as { realm?: string }).realm ?? ''}:${req.ip}`,
      allowList: (req) => !isPasswordAttempt(req),
      errorResponseBuilder: (_req, ctx) => Object.assign(oauthError('invalid_request', `Too many password attempts from this address; try again in ${Math.ceil(ctx.ttl / 1000)} seconds`, 429), { retryAfter: Math.ceil(ctx.ttl / 1000) }),
    });

    op.setErrorHandler((err: FastifyError, req, reply) => {
      if (isOAuthError(err)) {
        for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
        if (err.statusCode === 429) reply.header('retry-after', String((err as unknown as { retryAfter?: number }).retryAfter ?? 60));
        // the authorization endpoint and the login form are a browser's pages, not a client's API
        if (req.routeOptions.url === AUTHORIZATION_PATH || req.routeOptions.url?.startsWith('/realms/:realm/login-actions/')) {
          return pageHeaders(reply).code(err.statusCode).send(messagePage((req.params as { realm: string }).realm, 'We are sorry…', err.description, { alert: true }));
        }
        return reply.code(err.statusCode).header('cache-control', 'no-store').send(err.body());
      }
      if (isRedisUnavailable(err)) return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).header('cache-control', 'no-store').send({ error: 'temporarily_unavailable', error_description: UNAVAILABLE_MESSAGE });
      if (err.statusCode === 413) return reply.code(413).send({ error: 'invalid_request', error_description: 'The request body is too large' });
      if (err.validation || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)) {
        return reply.code(400).send({ error: 'invalid_request', error_description: err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'The body must be application/x-www-form-urlencoded' : 'The request is malformed' });
      }
      req.log.error({ err }, 'OIDC request failed');
      return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
    });

    // only forms are accepted as POST bodies (RFC 6749 §3.2, OIDC Core §3.1.2.1)
    op.addContentTypeParser('application/json', (_req, _body, done) => done(oauthError('invalid_request', 'The body must be application/x-www-form-urlencoded'), undefined));

    // every OIDC path is per realm; an unknown realm is answered before anything else runs
    op.addHook('onRequest', async (req, reply) => {
      const realm = (req.params as { realm?: string }).realm;
      if (realm !== undefined && (await app.realms.exists(realm))) return;
      if (req.url.includes('/login-actions/') || req.url.includes('/openid-connect/auth') || req.url.includes('/openid-connect/logout')) {
        return reply.code(404).type('text/html').send(messagePage(String(realm ?? ''), 'We are sorry…', 'Realm does not exist.', { alert: true }));
      }
      throw oauthError('invalid_request', 'Realm does not exist', 404);
    });

    // CORS: a browser app may call the token, userinfo, certs, revoke and logout endpoints from
    // an origin that one of the realm's clients registered a redirect URI on (Keycloak's "+")
    const origins = new Map<string, { at: number; set: Set<string> }>();
    const allowedOrigin = async (realm: string, origin: string): Promise<boolean> => {
      let hit = origins.get(realm);
      if (!hit || Date.now() - hit.at > 5000) {
        const set = new Set<string>();
        for (const c of await oidc.clients.list(realm)) for (const u of c.redirectUris) { try { set.add(new URL(u).origin); } catch { /* skip */ } }
        hit = { at: Date.now(), set };
        origins.set(realm, hit);
      }
      return hit.set.has(origin);
    };
    op.addHook('onSend', async (req, reply, payload) => {
      const origin = req.headers.origin;
      const realm = (req.params as { realm?: string }).realm;
      if (origin && realm && req.url.includes('/protocol/openid-connect/') && !req.url.includes('/openid-connect/auth') && (await allowedOrigin(realm, origin).catch(() => false))) {
        // keycloak-js sends credentials: 'include', so the origin is echoed, never '*'
        reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true').header('vary', 'Origin').header('access-control-expose-headers', 'WWW-Authenticate');
      }
      return payload;
    });
    op.options('/realms/:realm/protocol/openid-connect/*', async (req, reply) => {
      const origin = req.headers.origin;
      if (origin && (await allowedOrigin((req.params as { realm: string }).realm, origin))) {
        reply.header('access-control-allow-methods', 'GET, POST, OPTIONS').header('access-control-allow-headers', 'Authorization, Content-Type, Accept').header('access-control-max-age', '3600');
      }
      return reply.code(204).send();
    });

    await op.register(protocolEndpoints);
    await op.register(tokenEndpoint);
    await op.register(authorizationEndpoint);
  });
}
