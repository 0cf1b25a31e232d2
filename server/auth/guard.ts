/**
 * Request authentication and role checks for the realm API. Every route under
 * /api/v1/realms/:realm declares what it needs with one of the guards below.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { vigilError } from '../errors.js';
import { hasRole, type Principal } from './principal.js';
import type { Role } from '../../shared/protocol.js';
import { bearerToken, clearSessionCookie, cookieToken, originAllowed, originPolicy } from './authenticate.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function realmOf(req: FastifyRequest): string {
  return (req.params as { realm: string }).realm;
}

const ENDED = 'The token is unknown, expired or revoked';
const kStaleCookie = Symbol('vigil.staleCookie');
type MaybeStale = FastifyRequest & { [kStaleCookie]?: true };

/**
 * Resolves the caller's credential (if any). A state-changing request made with a session
 * token counts as activity; a cookie-authenticated write from a foreign origin is refused.
 * An unknown bearer token is refused at once. A cookie whose session has ended (expired,
 * terminated: the browser still holds it) is cleared and the request goes on unauthenticated,
 * so that signing in again works; a route that needs a credential still answers 401.
 */
export async function identify(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  req.principal = null;
  req.resolvedSession = null;
  req.viaCookie = false;
  const realm = realmOf(req);
  if (!(await req.server.vigil.realms.exists(realm))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`);
  const bearer = bearerToken(req.headers);
  const cookie = bearer ? null : cookieToken(req.headers);
  const token = bearer ?? cookie;
  if (!token) return;
  const write = WRITE_METHODS.has(req.method);
  if (cookie && write && !originAllowed(req.headers, originPolicy(req.server.vigil.config))) {
    throw vigilError('VIGIL_ERR_BAD_ORIGIN', req.headers.origin);
  }
  const result = await req.server.vigil.auth.authenticate(realm, token, write ? 'rest' : false);
  if (!result && cookie) {
    (req as MaybeStale)[kStaleCookie] = true;
    clearSessionCookie(req, reply);
    return;
  }
  if (!result) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', ENDED);
  req.principal = result.principal;
  req.resolvedSession = result.resolved;
  req.viaCookie = Boolean(cookie);
}

function principal(req: FastifyRequest): Principal {
  if (!req.principal) {
    if ((req as MaybeStale)[kStaleCookie]) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', ENDED);
    throw vigilError('VIGIL_ERR_UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <token> or the vigil_session cookie');
  }
  return req.principal;
}

/** Needs a credential with at least this role. Display keys (viewers) never write. */
export function need(role: Role) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const p = principal(req);
    if (!hasRole(p, role)) throw vigilError('VIGIL_ERR_FORBIDDEN', `this needs the ${role} role`);
    if (p.displayKeyId && WRITE_METHODS.has(req.method)) throw vigilError('VIGIL_ERR_FORBIDDEN', 'display keys are read-only');
  };
}

/** Needs a session token (a signed-in user), not a display key. */
export async function needSession(req: FastifyRequest): Promise<void> {
  const p = principal(req);
  if (!p.sessionId || !p.user) throw vigilError('VIGIL_ERR_FORBIDDEN', 'this needs a signed-in session, not a display key');
}

export function sessionPrincipal(req: FastifyRequest): Principal & { sessionId: string; user: NonNullable<Principal['user']> } {
  return req.principal as Principal & { sessionId: string; user: NonNullable<Principal['user']> };
}
