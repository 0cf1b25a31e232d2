/** Sign-in, the caller's own session, and the Access view's session list and terminations. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { vigilError } from '../errors.js';
import { identify, need, needSession, realmOf, sessionPrincipal } from '../auth/guard.js';
import { clearSessionCookie, originAllowed, originPolicy, setSessionCookie } from '../auth/authenticate.js';
import { LoginFailure } from '../auth/login.js';
import { hasRole } from '../auth/principal.js';
import { SESSION_KINDS, type MeResponse, type Session } from '../../shared/protocol.js';
import { TOKEN_LIFETIME_MAX, TOKEN_LIFETIME_MIN, tokenLifetimeProblem } from '../../shared/policy.js';
import { intInRange, objectBody, oneOf, optionalString, requiredString } from './validate.js';

export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const { engine, users, login } = app.vigil;
  app.addHook('preHandler', identify);

  app.post('/login', async (req, reply) => {
    const realm = realmOf(req);
    if (!originAllowed(req.headers, originPolicy(app.vigil.config))) throw vigilError('VIGIL_ERR_BAD_ORIGIN', req.headers.origin);
    const body = objectBody(req.body);
    const username = requiredString(body, 'username', 64);
    const password = requiredString(body, 'password', 256);
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

  app.post('/logout', { preHandler: needSession }, async (req, reply) => {
    const p = sessionPrincipal(req);
    await engine.end(p.realm, p.sessionId, 'session.ended', { reason: 'logout' });
    if (req.viaCookie) clearSessionCookie(req, reply);
    return reply.code(204).send();
  });

  app.post('/sessions', { preHandler: [need('admin'), needSession] }, async (req, reply) => {
    const realm = realmOf(req);
    const body = objectBody(req.body);
    const username = requiredString(body, 'username', 64);
    const user = await users.byUsername(realm, username);
    if (!user) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${username} in realm ${realm}`);
    if (!user.enabled) throw vigilError('VIGIL_ERR_CONFLICT', `user ${username} is disabled`);
    const idleTimeout = body.idleTimeout === undefined ? user.tokenLifetime : intInRange(body.idleTimeout, 'idleTimeout', TOKEN_LIFETIME_MIN, TOKEN_LIFETIME_MAX);
    let origin: Record<string, unknown> = {};
    if (body.origin !== undefined) origin = objectBody(body.origin);
    const started = await engine.start({
      realm, kind: 'console', user, idleTimeout,
      ip: optionalString(origin, 'ip', 64) ?? req.ip, userAgent: optionalString(origin, 'userAgent', 256) ?? null,
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

  app.get('/me', { preHandler: needSession }, me);

  app.put('/me/token-lifetime', { preHandler: needSession }, async (req) => {
    const p = sessionPrincipal(req);
    const { tokenLifetime } = objectBody(req.body);
    const problem = tokenLifetimeProblem(tokenLifetime);
    if (problem) throw vigilError('VIGIL_ERR_VALIDATION', problem);
    await users.setTokenLifetime(p.realm, p.user.id, tokenLifetime as number);
    await applyTokenLifetime(app, p.realm, p.user.id, tokenLifetime as number);
    return me(req);
  });

  app.post('/sessions/current/activity', { preHandler: needSession }, async (_req, reply) => reply.code(204).send());

  app.post('/sessions/current/extend', { preHandler: needSession }, async (req) => {
    const p = sessionPrincipal(req);
    return { session: await engine.extend(p.realm, p.sessionId) };
  });

  app.get('/sessions', { preHandler: need('user') }, async (req) => {
    const realm = realmOf(req);
    const p = req.principal!;
    const q = req.query as Record<string, unknown>;
    const limit = q.limit === undefined ? 100 : intInRange(Number(q.limit), 'limit', 1, 1000);
    const kind = oneOf(q.kind, 'kind', SESSION_KINDS);
    const state = oneOf(q.state, 'state', ['active', 'warning'] as const);
    const cursor = optionalString(q, 'cursor', 200);
    let userId: string | undefined;
    if (!hasRole(p, 'viewer')) userId = p.user!.id; // a plain user sees only their own
    if (q.user !== undefined) {
      const wanted = await users.byUsername(realm, String(q.user));
      if (userId && wanted?.id !== userId) return { sessions: [], nextCursor: null };
      userId = wanted?.id ?? 'u_none';
    }
    return engine.list(realm, { user: userId, kind, state, limit, cursor }, p.sessionId);
  });

  app.get('/sessions/:id', { preHandler: need('user') }, async (req) => {
    const realm = realmOf(req);
    const p = req.principal!;
    const session = await engine.get(realm, (req.params as { id: string }).id, p.sessionId);
    if (!session || (!hasRole(p, 'viewer') && session.user.id !== p.user?.id)) throw vigilError('VIGIL_ERR_NOT_FOUND', 'no such session');
    return { session };
  });

  app.delete('/sessions/:id', { preHandler: [need('user'), needSession] }, async (req, reply) => {
    const p = sessionPrincipal(req);
    const id = (req.params as { id: string }).id;
    if (id === p.sessionId) throw vigilError('VIGIL_ERR_CURRENT_SESSION');
    const admin = hasRole(p, 'admin');
    const ended = await engine.terminate(p.realm, id, admin ? 'admin' : 'self', p.user.username, admin ? '' : p.user.id);
    if (!ended) throw vigilError('VIGIL_ERR_NOT_FOUND', 'no such session');
    return reply.code(204).send();
  });

  app.post('/sessions/terminate-others', { preHandler: [need('user'), needSession] }, async (req) => {
    const p = sessionPrincipal(req);
    const ids = hasRole(p, 'admin') ? await engine.sessionIds(p.realm) : await engine.userSessionIds(p.realm, p.user.id);
    const terminated = await engine.terminateMany(p.realm, ids.filter((id) => id !== p.sessionId), 'others', p.user.username);
    return { terminated };
  });
}

/** A new token lifetime applies at once to the user's live console sessions. */
export async function applyTokenLifetime(app: FastifyInstance, realm: string, userId: string, tokenLifetime: number): Promise<void> {
  const { engine } = app.vigil;
  const hashes = await engine.hashes(realm, await engine.userSessionIds(realm, userId));
  const consoleIds = hashes.filter((h) => h.k === 'console').map((h) => String(h.id));
  await engine.reapply(realm, consoleIds, tokenLifetime, null);
}

