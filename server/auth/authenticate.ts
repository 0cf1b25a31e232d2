/**
 * Turns a credential (session token or display key) into a Principal. Shared by the REST
 * routes and both real-time transports so that every entry point checks the same way.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionEngine, ResolvedSession } from '../sessions/engine.js';
import type { DisplayKeyStore } from './display-keys.js';
import type { Principal } from './principal.js';
import { strongestRole, type Role } from '../../shared/protocol.js';
import { DISPLAY_KEY_PREFIX, SESSION_TOKEN_PREFIX } from '../sessions/tokens.js';

export const SESSION_COOKIE = 'vigil_session';

/** Behind HTTPS — the public URL is https, or a trusted proxy says so — cookies are Secure. */
export function secureCookies(req: FastifyRequest): boolean {
  return req.server.vigil.publicUrl().startsWith('https:') || req.protocol === 'https';
}

const cookieOptions = (req: FastifyRequest) => ({ path: '/', httpOnly: true, sameSite: 'strict' as const, secure: secureCookies(req) });

/** Sets the session cookie (HttpOnly, SameSite=Strict, Secure on HTTPS). */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(req));
}

/** Clears the session cookie, with the attributes it was set with. */
export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
}

export interface Credential {
  token: string;
  /** Cookies are ambient: a cookie credential is only honoured from an allowed origin. */
  source: 'bearer' | 'cookie' | 'message';
}

export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const h = headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

export function cookieToken(headers: IncomingHttpHeaders): string | null {
  const raw = headers.cookie;
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== SESSION_COOKIE) continue;
    const value = v.join('=');
    try {
      return decodeURIComponent(value);
    } catch {
      return value; // not percent-encoding we wrote: it resolves to no session, like any stale cookie
    }
  }
  return null;
}

export interface OriginPolicy {
  /** VIGIL_ALLOWED_ORIGINS */
  allowed: string[];
  /** The origin of VIGIL_PUBLIC_URL, or null when it is not set. */
  publicOrigin: string | null;
}

/**
 * Same-origin check: an Origin header is allowed when it is listed in VIGIL_ALLOWED_ORIGINS or
 * is the public URL's. With no public URL configured, the server's own origin as the browser
 * addressed it (the Origin's host equals the request's Host) is allowed too, so that a
 * dashboard opened at localhost or 127.0.0.1 both work. No Origin header: not a browser
 * cross-site request, allowed.
 */
export function originAllowed(headers: IncomingHttpHeaders, policy: OriginPolicy): boolean {
  const origin = headers.origin;
  if (!origin) return true;
  if (policy.allowed.includes(origin) || origin === policy.publicOrigin) return true;
  if (policy.publicOrigin) return false;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

export function originPolicy(config: { allowedOrigins: string[]; publicUrl: string | null }): OriginPolicy {
  return { allowed: config.allowedOrigins, publicOrigin: config.publicUrl ? new URL(config.publicUrl).origin : null };
}

export interface AuthResult {
  principal: Principal;
  resolved: ResolvedSession | null;
}

/**
 * Resolves credentials of other kinds (e.g. OIDC access tokens) to a principal; returns
 * undefined when the token is not of its kind, null when it is but is not valid.
 */
export type TokenResolver = (realm: string, token: string, touch: false | string) => Promise<AuthResult | null | undefined>;

export class Authenticator {
  private readonly resolvers: TokenResolver[] = [];
  constructor(private readonly engine: SessionEngine, private readonly displayKeys: DisplayKeyStore) {}

  /** Adds a resolver consulted for tokens that are neither session tokens nor display keys. */
  addResolver(r: TokenResolver): void {
    this.resolvers.push(r);
  }

  /** `touch` counts this use as session activity (a state-changing request). */
  async authenticate(realm: string, token: string, touch: false | string = false): Promise<AuthResult | null> {
    if (token.length > 4096) return null; // OIDC access tokens (JWTs) run to ~1 KiB
    if (token.startsWith(DISPLAY_KEY_PREFIX)) {
      const id = await this.displayKeys.resolve(realm, token);
      if (!id) return null;
      return { principal: { realm, roles: ['viewer'], role: 'viewer', user: null, sessionId: null, displayKeyId: id, sessionOnly: false, expiresAt: null, tokenId: null }, resolved: null };
    }
    if (!token.startsWith(SESSION_TOKEN_PREFIX)) {
      for (const r of this.resolvers) {
        const result = await r(realm, token, touch);
        if (result !== undefined) return result;
      }
      return null;
    }
    const resolved = await this.engine.resolve(realm, token, touch);
    if (!resolved || resolved.user.enabled === 'false' || !resolved.user.id) return null;
    const roles = (resolved.user.roles ? resolved.user.roles.split(',') : ['user']) as Role[];
    return {
      principal: {
        realm,
        roles,
        role: strongestRole(roles),
        user: { id: resolved.user.id, username: resolved.user.username!, tokenLifetime: Number(resolved.user.tokenLifetime) },
        sessionId: String(resolved.session.id),
        displayKeyId: null,
        sessionOnly: false,
        expiresAt: null,
        tokenId: null,
      },
      resolved,
    };
  }
}
