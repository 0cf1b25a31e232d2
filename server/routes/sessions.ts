/** Sign-in, the caller's own session, and the Access view's session list and terminations. */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { vigilError } from '../errors.js';
import { identify, need, needSession, realmOf, sessionPrincipal } from '../auth/guard.js';
import { clearSessionCookie, originAllowed, originPolicy, setSessionCookie } from '../auth/authenticate.js';
import { LoginFailure } from '../auth/login.js';
import { hasRole } from '../auth/principal.js';
import type { MeResponse, Session } from '../../shared/protocol.js';
import { errorResponses } from '../schemas/errors.js';
import { answer, NoContent, RealmParams, realmParams, SECURITY } from '../schemas/common.js';
import { LoginBody, SessionId, SessionList, SessionQuery, StartSessionBody, TokenAndSession, TokenLifetimeBody } from '../schemas/sessions.js';

const signIn = { tags: ['sign-in'], params: RealmParams };
const sessions = { tags: ['sessions'], security: SECURITY };
const SessionParams = realmParams('id', SessionId);

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { engine, users, login } = app;
  // before validation, as before schemas: a caller who may not use a route learns nothing of its rules
  app.addHook('preValidation', identify);

  app.post('/login', {
    schema: {
      ...signIn, summary: 'Sign in', description: 'Starts a console session; the token is also set as the vigil_session cookie (HttpOnly, SameSite=Strict). Past the policy\'s maxSessionsPerUser: 409 VIGIL_ERR_SESSION_LIMIT (deny-new), or the user\'s oldest session ends (terminate-oldest, reason session-limit).',
      body: LoginBody,
      response: { 201: TokenAndSession, ...errorResponses(401, 403, 404, 409, 413, 429) },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    if (!originAllowed(req.headers, originPolicy(app.config))) throw vigilError('VIGIL_ERR_BAD_ORIGIN', req.headers.origin);
    const { username, password } = req.body;
    let started: { token: string; session: Session };
    try {
      started = await login.signIn({ realm, username, password, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, kind: 'console', clientId: null });
    } catch (err) {
      if (!(err instanceof LoginFailure)) throw err;
      // a disabled account answers like a wrong password: no one learns which accounts exist
      if (err.reason !== 'rate_limited') throw vigilError('VIGIL_ERR_INVALID_CREDENTIALS');
      reply.header('retry-after', String(err.retryAfter));
      throw vigilError('VIGIL_ERR_RATE_LIMITED', err.retryAfter);
    }
    setSessionCookie(req, reply, started.token);
    return reply.code(201).send({ token: started.token, session: started.session });
  });

  app.post('/logout', {
    preValidation: needSession,
    schema: { ...signIn, security: SECURITY, summary: 'Sign out', description: 'Ends the caller\'s session (session.ended) and clears the cookie.', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const p = sessionPrincipal(req);
    await engine.end(p.realm, p.sessionId, 'session.ended', { reason: 'logout' });
    if (req.viaCookie) clearSessionCookie(req, reply);
    return reply.code(204).send();
  });

  app.post('/sessions', {
    preValidation: [need('admin'), needSession],
    schema: {
      ...sessions, params: RealmParams, summary: 'Start a session for a user',
      description: 'For an application that authenticated the user itself (admin). data.by of session.started names the caller.',
      body: StartSessionBody,
      response: { 201: TokenAndSession, ...errorResponses(401, 403, 404, 409, 413) },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const body = req.body;
    const username = body.username;
    const user = await users.byUsername(realm, username);
    if (!user) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${username} in realm ${realm}`);
    if (!user.enabled) throw vigilError('VIGIL_ERR_CONFLICT', `user ${username} is disabled`);
    const started = await engine.start({
      realm, kind: 'console', user, idleTimeout: body.idleTimeout ?? user.tokenLifetime,
      ip: body.origin?.ip ?? req.ip, userAgent: body.origin?.userAgent ?? null,
      by: sessionPrincipal(req).user.username,
    });
    return reply.code(201).send({ token: started.token, session: { ...started.session, current: false } });
  });

  const me = async (req: FastifyRequest): Promise<MeResponse> => {
    const p = sessionPrincipal(req);
    const session = await engine.get(p.realm, p.sessionId, p.sessionId);
    const user = await users.byId(p.realm, p.user.id);
    return { user: { id: p.user.id, username: p.user.username, roles: p.roles, tokenLifetime: user?.tokenLifetime ?? p.user.tokenLifetime }, session };
  };

  app.get('/me', {
    preValidation: needSession,
    schema: { ...signIn, security: SECURITY, summary: 'The caller', description: 'The signed-in user and their current session.', response: { 200: answer('MeResponse', 'The caller and their session'), ...errorResponses(401, 403, 404) } },
  }, me);

  app.put('/me/token-lifetime', {
    preValidation: needSession,
    schema: {
      ...signIn, security: SECURITY, summary: 'Set my token lifetime', description: 'Applies at once to the user\'s live console sessions.',
      body: TokenLifetimeBody, response: { 200: answer('MeResponse', 'Set: the caller with the new lifetime, and their session'), ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req) => {
    const p = sessionPrincipal(req);
    const { tokenLifetime } = req.body;
    await users.setTokenLifetime(p.realm, p.user.id, tokenLifetime);
    await engine.applyTokenLifetime(p.realm, p.user.id, tokenLifetime);
    return me(req);
  });

  app.post('/sessions/current/activity', {
    preValidation: needSession,
    schema: { ...signIn, security: SECURITY, summary: 'Report activity', description: 'Counts as activity of the caller\'s session (not while it is in warning: then only extend does).', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (_req, reply) => reply.code(204).send());

  app.post('/sessions/current/extend', {
    preValidation: needSession,
    schema: {
      ...signIn, security: SECURITY, summary: 'Extend my session', description: 'Answers the expiry prompt; 409 VIGIL_ERR_NOT_EXTENDABLE when the warning is for the hard limit.',
      response: { 200: Type.Object({ session: Type.Ref('Session') }, { description: 'Extended: the session with its new deadlines' }), ...errorResponses(401, 403, 404, 409) },
    },
  }, async (req) => {
    const p = sessionPrincipal(req);
    return { session: await engine.extend(p.realm, p.sessionId) };
  });

  app.get('/sessions', {
    preValidation: need('user'),
    schema: {
      ...sessions, params: RealmParams, summary: 'List sessions', description: 'Viewers see every session of the realm, users their own; newest first, a page at a time.',
      querystring: SessionQuery, response: { 200: SessionList, ...errorResponses(401, 403, 404) },
    },
  }, async (req) => {
    const realm = realmOf(req);
    const p = req.principal!;
    const q = req.query;
    const { kind, state, cursor } = q;
    const limit = q.limit ?? 100;
    let userId: string | undefined;
    if (!hasRole(p, 'viewer')) userId = p.user!.id; // a plain user sees only their own
    if (q.user !== undefined) {
      const wanted = await users.byUsername(realm, q.user);
      if (userId && wanted?.id !== userId) return { sessions: [], nextCursor: null };
      userId = wanted?.id ?? 'u_none';
    }
    return engine.list(realm, { user: userId, kind, state, limit, cursor }, p.sessionId);
  });

  app.get('/sessions/:id', {
    preValidation: need('user'),
    schema: { ...sessions, params: SessionParams, summary: 'Read a session', description: 'Viewers read any session, users their own.', response: { 200: Type.Object({ session: Type.Ref('Session') }, { description: 'The session' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const realm = realmOf(req);
    const p = req.principal!;
    const session = await engine.get(realm, req.params.id, p.sessionId);
    if (!session || (!hasRole(p, 'viewer') && session.user.id !== p.user?.id)) throw vigilError('VIGIL_ERR_NOT_FOUND', 'no such session');
    return { session };
  });

  app.delete('/sessions/:id', {
    preValidation: [need('user'), needSession],
    schema: {
      ...sessions, params: SessionParams, summary: 'Terminate a session',
      description: 'Admins terminate any session, users their own other sessions (session.terminated); 409 VIGIL_ERR_CURRENT_SESSION for the caller\'s current one.',
      response: { 204: NoContent, ...errorResponses(401, 403, 404, 409) },
    },
  }, async (req, reply) => {
    const p = sessionPrincipal(req);
    const id = req.params.id;
    if (id === p.sessionId) throw vigilError('VIGIL_ERR_CURRENT_SESSION');
    const admin = hasRole(p, 'admin');
    const ended = await engine.terminate(p.realm, id, admin ? 'admin' : 'self', p.user.username, admin ? '' : p.user.id);
    if (!ended) throw vigilError('VIGIL_ERR_NOT_FOUND', 'no such session');
    return reply.code(204).send();
  });

  app.post('/sessions/terminate-others', {
    preValidation: [need('user'), needSession],
    schema: {
      ...sessions, params: RealmParams, summary: 'Terminate the other sessions', description: 'Admins: every other session of the realm; users: their own others. The caller\'s session stays.',
      response: { 200: Type.Object({ terminated: Type.Integer({ minimum: 0, description: 'How many sessions ended' }) }, { description: 'Done' }), ...errorResponses(401, 403, 404) },
    },
  }, async (req) => {
    const p = sessionPrincipal(req);
    const ids = hasRole(p, 'admin') ? await engine.sessionIds(p.realm) : await engine.userSessionIds(p.realm, p.user.id);
    const terminated = await engine.terminateMany(p.realm, ids.filter((id) => id !== p.sessionId), 'others', p.user.username);
    return { terminated };
  });
};
