/**
 * Request authentication and role checks for the REST API. Every route under
 * /api/v1/realms/:realm (and the realm management routes) declares what it needs with one of
 * the guards below; the credential itself is turned into a principal by `identify` in
 * authenticate.ts, the one way in shared with the real-time transports.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { vigilError } from '../errors.js';
import { hasRole, type Principal } from './principal.js';
import type { Role } from '../../shared/protocol.js';
import { clearSessionCookie, CREDENTIAL_ENDED } from './authenticate.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const kStaleCookie = Symbol('vigil.staleCookie');
type MaybeStale = FastifyRequest & { [kStaleCookie]?: true };

export function realmOf(req: FastifyRequest): string {
  return (req.params as { realm: string }).realm;
}

/**
 * Resolves the caller's credential (if any) in `realm` (default: the route's). A state-changing
 * request made with a session token counts as activity; a cookie-authenticated write from a
 * foreign origin is refused; an unknown bearer token is refused at once. A stale cookie is
 * cleared and the request goes on unauthenticated, so that signing in again works; a route that
 * needs a credential still answers 401.
 */
export async function identify(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  return identifyIn(req, reply, realmOf(req));
}

/** `identify` in a realm other than the route's (realm management identifies in realm default). */
export async function identifyIn(req: FastifyRequest, reply: FastifyReply, realm: string): Promise<void> {
  const write = WRITE_METHODS.has(req.method);
  const id = await req.server.auth.identify({ realm, headers: req.headers, originChecked: write, touch: write ? 'rest' : false });
  if (id.staleCookie) {
    (req as MaybeStale)[kStaleCookie] = true;
    clearSessionCookie(req, reply);
  }
  req.principal = id.principal;
  req.viaCookie = id.viaCookie;
}

function principal(req: FastifyRequest): Principal {
  if (!req.principal) {
    if ((req as MaybeStale)[kStaleCookie]) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', CREDENTIAL_ENDED);
    throw vigilError('VIGIL_ERR_UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <token> or the vigil_session cookie');
  }
  return req.principal;
}

/** Why this principal may not use a route that needs `role`, or null when it may. */
export function roleProblem(p: Principal, role: Role, write: boolean): string | null {
  if (p.sessionOnly) return 'this access token was issued to an application and acts only as its own session (me, activity, extend, logout); grant its client apiRoles to use the API';
  if (!hasRole(p, role)) return `this needs the ${role} role`;
  if (p.displayKeyId && write) return 'display keys are read-only';
  return null;
}

/** Needs a credential with at least this role. Display keys (viewers) never write. */
export function need(role: Role) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const problem = roleProblem(principal(req), role, WRITE_METHODS.has(req.method));
    if (problem) throw vigilError('VIGIL_ERR_FORBIDDEN', problem);
  };
}

/** Needs a session token (a signed-in user, or an access token acting as its session), not a display key. */
export async function needSession(req: FastifyRequest): Promise<void> {
  const p = principal(req);
  if (!p.sessionId || !p.user) throw vigilError('VIGIL_ERR_FORBIDDEN', 'this needs a signed-in session, not a display key');
}

export function sessionPrincipal(req: FastifyRequest): Principal & { sessionId: string; user: NonNullable<Principal['user']> } {
  return req.principal as Principal & { sessionId: string; user: NonNullable<Principal['user']> };
}
