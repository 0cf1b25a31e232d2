/** Discovery, JWKS, userinfo, introspection (RFC 7662), revocation (RFC 7009) and RP-initiated logout. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { oauthError } from './errors.js';
import { authenticateClient, optional, params, realmParam } from './http.js';
import { issuerOf, SUPPORTED_SCOPES } from './service.js';
import { SIGNING_ALG } from './signing.js';
import type { AccessClaims, IdClaims } from './tokens.js';
import { messagePage } from './pages.js';

const OIDC = '/realms/:realm/protocol/openid-connect';

function isEs(token: string): boolean {
  try {
    return decodeProtectedHeader(token).alg === SIGNING_ALG;
  } catch {
    return false;
  }
}

export async function protocolEndpoints(app: FastifyInstance): Promise<void> {
  const { engine, users, redis, keys } = app;
  const oidc = app.oidc;

  app.get('/realms/:realm/.well-known/openid-configuration', async (req, reply) => {
    const realm = realmParam(req);
    const iss = issuerOf(req, realm);
    const p = `${iss}/protocol/openid-connect`;
    return reply.header('cache-control', 'public, max-age=60').send({
      issuer: iss,
      authorization_endpoint: `${p}/auth`,
      token_endpoint: `${p}/token`,
      introspection_endpoint: `${p}/token/introspect`,
      userinfo_endpoint: `${p}/userinfo`,
      end_session_endpoint: `${p}/logout`,
      jwks_uri: `${p}/certs`,
      revocation_endpoint: `${p}/revoke`,
      grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials'],
      response_types_supported: ['code', 'token', 'id_token token'],
      response_modes_supported: ['query', 'fragment'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [SIGNING_ALG],
      userinfo_signing_alg_values_supported: ['none'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...SUPPORTED_SCOPES],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'azp', 'nonce', 'sid', 'session_state', 'preferred_username', 'email', 'email_verified', 'at_hash'],
      authorization_response_iss_parameter_supported: true,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      frontchannel_logout_supported: false,
    });
  });

  app.get(`${OIDC}/certs`, async (req, reply) => {
    const jwks = await oidc.signing.jwks(realmParam(req));
    return reply.header('cache-control', 'no-cache').type('application/jwk-set+json').send(jwks);
  });

  const userinfo = async (req: FastifyRequest, reply: FastifyReply) => {
    const realm = realmParam(req);
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = m?.[1] ?? (req.method === 'POST' ? optional(params(req), 'access_token') : undefined);
    const fail = (why: string) => {
      const e = oauthError('invalid_token', why);
      e.headers['www-authenticate'] = `Bearer realm="${realm}", error="invalid_token", error_description="${why}"`;
      return e;
    };
    if (!token) {
      const e = oauthError('invalid_request', 'Missing token');
      e.headers['www-authenticate'] = `Bearer realm="${realm}"`;
      throw Object.assign(e, { statusCode: 401 });
    }
    const claims = await oidc.liveAccessToken(realm, token);
    if (!claims) throw fail('Token verification failed');
    if (!claims.sid) return reply.send({ sub: claims.sub, preferred_username: claims.preferred_username });
    const user = await users.byId(realm, String(claims.sub));
    if (!user || !user.enabled) throw fail('User not found or disabled');
    return reply.header('cache-control', 'no-store').send({ sub: user.id, preferred_username: user.username, ...(user.email ? { email: user.email, email_verified: user.emailVerified } : {}) });
  };
  app.get(`${OIDC}/userinfo`, userinfo);
  app.post(`${OIDC}/userinfo`, userinfo);

  app.post(`${OIDC}/token/introspect`, async (req, reply) => {
    const realm = realmParam(req);
    const p = params(req);
    const client = await authenticateClient(app, req, realm, p);
    if (client.publicClient) throw oauthError('invalid_client', 'Public clients may not introspect tokens');
    const token = optional(p, 'token', 8192);
    if (!token) throw oauthError('invalid_request', 'Missing parameter: token');
    reply.header('cache-control', 'no-store');
    // a token's claims are its own client's business, or a resource server's (introspection: true);
    // to any other client it is as good as unknown (RFC 7662 §4)
    const mayRead = (azp: string) => azp === client.clientId || client.introspection;
    if (isEs(token)) {
      const claims = await oidc.liveAccessToken(realm, token);
      if (!claims || !mayRead(claims.azp)) return { active: false };
      return { ...claims, active: true, client_id: claims.azp, username: claims.preferred_username, token_type: 'Bearer' };
    }
    const r = await oidc.tokens.verifyRefresh(realm, token);
    if (!r || !mayRead(r.azp)) return { active: false };
    const [sessionExists, csGen] = await Promise.all([redis.exists(keys.session(realm, r.sid)), redis.hget(keys.oidcClientSession(realm, r.sid, r.azp), 'gen')]);
    if (!sessionExists || csGen === null || r.gen > Number(csGen)) return { active: false };
    return { ...r, active: true, client_id: r.azp, token_type: r.typ };
  });

  app.post(`${OIDC}/revoke`, async (req, reply) => {
    const realm = realmParam(req);
    const p = params(req);
    const client = await authenticateClient(app, req, realm, p);
    const token = optional(p, 'token', 8192);
    if (!token) throw oauthError('invalid_request', 'Missing parameter: token');
    const hint = optional(p, 'token_type_hint', 50);
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw oauthError('unsupported_token_type', `Unsupported token_type_hint ${hint}`);
    reply.header('cache-control', 'no-store');
    if (isEs(token)) {
      const claims = await oidc.tokens.verifyEs<AccessClaims>(realm, token);
      if (claims && claims.typ === 'Bearer' && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
        if (claims.azp !== client.clientId) throw oauthError('invalid_grant', 'The token was issued to another client');
        await oidc.revokeAccessToken(realm, claims.jti, claims.exp);
        // the jti lets the real-time hub close the connections that authenticated with this token
        await engine.emit(realm, 'token.revoked', { clientId: client.clientId, kind: 'access_token', jti: claims.jti }, claims.sid ?? null);
      }
      return reply.code(200).send();
    }
    const r = await oidc.tokens.verifyRefresh(realm, token);
    if (r) {
      if (r.azp !== client.clientId) throw oauthError('invalid_grant', 'The token was issued to another client');
      // revoking a refresh (or offline) token logs that client out of its session
      if (await oidc.clientSessionAlive(realm, r.sid, r.azp)) {
        await oidc.closeClientSession(realm, r.sid, r.azp);
        await engine.emit(realm, 'token.revoked', { clientId: client.clientId, kind: r.typ === 'Offline' ? 'offline_token' : 'refresh_token' }, r.sid);
        await engine.end(realm, r.sid, 'session.ended', { reason: 'logout', cause: 'revocation', clientId: client.clientId });
      }
    }
    return reply.code(200).send();
  });

  const logout = async (req: FastifyRequest, reply: FastifyReply) => {
    const realm = realmParam(req);
    const p = params(req);
    const hint = optional(p, 'id_token_hint', 8192);
    const postLogout = optional(p, 'post_logout_redirect_uri', 2000);
    const state = optional(p, 'state', 2000);
    let clientId = optional(p, 'client_id', 200);
    let claims: IdClaims | null = null;
    if (hint) {
      claims = await oidc.tokens.verifyEs<IdClaims>(realm, hint, { allowExpired: true });
      if (!claims || claims.typ !== 'ID') {
        return reply.code(400).type('text/html').send(messagePage(realm, 'Sign out', 'The sign-out request is invalid (id_token_hint).', { alert: true }));
      }
      if (clientId && clientId !== claims.azp) {
        return reply.code(400).type('text/html').send(messagePage(realm, 'Sign out', 'The sign-out request is invalid (client_id does not match the token).', { alert: true }));
      }
      clientId = claims.azp;
    }
    if (postLogout) {
      const client = clientId ? await oidc.clients.get(realm, clientId) : null;
      // an unregistered redirect is never followed
      if (!client || !client.redirectUris.includes(postLogout)) {
        return reply.code(400).type('text/html').send(messagePage(realm, 'Sign out', 'Invalid redirect uri: the application did not register this sign-out address.', { alert: true }));
      }
    }
    if (claims?.sid) {
      if ((await engine.facts(realm, claims.sid))?.userId === claims.sub) {
        await oidc.closeClientSession(realm, claims.sid, claims.azp);
        await engine.end(realm, claims.sid, 'session.ended', { reason: 'logout', clientId: claims.azp });
      }
    }
    if (postLogout) {
      const u = new URL(postLogout);
      if (state) u.searchParams.set('state', state);
      return reply.redirect(u.toString(), 302);
    }
    return reply.type('text/html').header('cache-control', 'no-store').send(messagePage(realm, 'Signed out', 'You are signed out.'));
  };
  app.get(`${OIDC}/logout`, logout);
  app.post(`${OIDC}/logout`, logout);
}
