/** Request helpers shared by the OIDC endpoints: parameters, client authentication, session facts. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { oauthError } from './errors.js';
import type { OidcClient } from './clients.js';
import type { SessionFacts } from './service.js';

export function realmParam(req: FastifyRequest): string {
  return (req.params as { realm: string }).realm;
}

/** The request's parameters: the form body for POST, the query for GET. */
export function params(req: FastifyRequest): Record<string, unknown> {
  if (req.method === 'POST') {
    const b = req.body;
    if (b === undefined || b === null) return {};
    if (typeof b !== 'object' || Array.isArray(b)) throw oauthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
    return b as Record<string, unknown>;
  }
  return (req.query ?? {}) as Record<string, unknown>;
}

/** One optional string parameter; a repeated parameter is invalid_request (RFC 6749 §3.1). */
export function optional(p: Record<string, unknown>, name: string, max = 4096): string | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw oauthError('invalid_request', `Parameter ${name} must be given once`);
  if (v.length > max) throw oauthError('invalid_request', `Parameter ${name} is too long`);
  return v;
}

export function required(p: Record<string, unknown>, name: string, max = 4096): string {
  const v = optional(p, name, max);
  if (v === undefined) throw oauthError('invalid_request', `Missing parameter: ${name}`);
  return v;
}

/**
 * Authenticates the client: HTTP Basic (client_secret_basic) or client_id + client_secret in the
 * form (client_secret_post); a public client sends only client_id. Confidential clients must
 * authenticate; a failure is invalid_client (401).
 */
export async function authenticateClient(app: FastifyInstance, req: FastifyRequest, realm: string, p: Record<string, unknown>): Promise<OidcClient> {
  const oidc = app.oidc;
  let id: string | undefined;
  let secret: string | undefined;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) throw oauthError('invalid_client', 'Malformed Basic credentials');
    try {
      id = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' '));
    } catch {
      throw oauthError('invalid_client', 'Malformed Basic credentials');
    }
    if (optional(p, 'client_secret') !== undefined) throw oauthError('invalid_request', 'Use one client authentication method, not two');
    const bodyId = optional(p, 'client_id', 200);
    if (bodyId !== undefined && bodyId !== id) throw oauthError('invalid_request', 'client_id does not match the authenticated client');
  } else {
    id = optional(p, 'client_id', 200);
    secret = optional(p, 'client_secret', 200);
  }
  if (!id) throw oauthError('invalid_client', 'Missing parameter: client_id');
  const client = await oidc.clients.get(realm, id);
  const fail = () => {
    const e = oauthError('invalid_client', 'Invalid client or Invalid client credentials');
    if (basic) e.headers['www-authenticate'] = `Basic realm="${realm}"`;
    return e;
  };
  if (!client) throw fail();
  if (client.publicClient) return client;
  if (!secret || !(await oidc.clients.verifySecret(realm, id, secret))) throw fail();
  return client;
}

/** The facts about a live OIDC session that token issuance needs, or null when it has ended. */
export async function sessionFacts(app: FastifyInstance, realm: string, sid: string): Promise<(SessionFacts & { userId: string }) | null> {
  const f = await app.engine.facts(realm, sid);
  if (!f || (f.kind !== 'sso' && f.kind !== 'offline')) return null;
  return { id: sid, kind: f.kind, it: f.idleTimeout, mx: f.maxExpiresAt, authTime: Math.floor(f.createdAt / 1000), userId: f.userId };
}
