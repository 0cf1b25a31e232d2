/**
 * The one way in: turns a credential (the session cookie, `Authorization: Bearer`, a Socket.IO
 * `auth: {token}`, a `/ws` first message or its `auth` refresh) into a Principal. The REST
 * guard, the realm routes and both real-time adapters all call `identify`, so the rules live
 * here once: which credential wins, the origin check of ambient (cookie) credentials, a stale
 * cookie, unknown realms, display keys, and the audience of OIDC access tokens.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionEngine, ResolvedSession } from '../sessions/engine.js';
import type { DisplayKeyStore } from './display-keys.js';
import type { Principal } from './principal.js';
import type { RealmStore } from '../realms/store.js';
import { vigilError } from '../errors.js';
import { strongestRole, type Role } from '../../shared/protocol.js';
import { DISPLAY_KEY_PREFIX, SESSION_TOKEN_PREFIX } from '../sessions/tokens.js';

export const SESSION_COOKIE = 'vigil_session';

/** Behind HTTPS — the public URL is https, or a trusted proxy says so — cookies are Secure. */
export function secureCookies(req: FastifyRequest): boolean {
  return req.server.publicUrl().startsWith('https:') || req.protocol === 'https';
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

export const CREDENTIAL_ENDED = 'The token is unknown, expired or revoked';

/** What a request or connection presents. */
export interface CredentialRequest {
  realm: string;
  headers: IncomingHttpHeaders;
  /** A token given explicitly (Socket.IO `auth.token`, a `/ws` auth message): it wins over headers. */
  token?: string | null;
  /**
   * The use changes state, or opens a real-time connection: a cookie is then only honoured from
   * an allowed origin (a cross-site page must not act, or listen, with the user's cookie).
   */
  originChecked: boolean;
  /** Counts this use as activity of the session, with this source (a state-changing REST request). */
  touch?: false | string;
}

export interface Identity {
  /** Null: no credential, or only a stale cookie. */
  principal: Principal | null;
  resolved: ResolvedSession | null;
  /** The credential was the cookie (so its writes are origin-checked, and logout clears it). */
  viaCookie: boolean;
  /**
   * A cookie was sent whose session has ended (expired, terminated: the browser still holds
   * it). It counts as no credential, so that signing in again works; REST clears it.
   */
  staleCookie: boolean;
}

export class Authenticator {
  private readonly resolvers: TokenResolver[] = [];
  constructor(
    private readonly engine: SessionEngine,
    private readonly displayKeys: DisplayKeyStore,
    private readonly realms: RealmStore,
    private readonly origins: OriginPolicy,
  ) {}

  /**
   * Identifies the caller. Throws VIGIL_ERR_NOT_FOUND for an unknown realm, VIGIL_ERR_BAD_ORIGIN
   * for a cookie from a foreign origin where that matters, VIGIL_ERR_UNAUTHENTICATED for an
   * explicit or bearer token that is unknown, expired or revoked. A stale cookie is no credential.
   */
  async identify(r: CredentialRequest): Promise<Identity> {
    if (!(await this.realms.exists(r.realm))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${r.realm}`);
    const explicit = r.token ?? bearerToken(r.headers);
    const cookie = explicit ? null : cookieToken(r.headers);
    const token = explicit ?? cookie;
    if (!token) return { principal: null, resolved: null, viaCookie: false, staleCookie: false };
    if (cookie && r.originChecked && !originAllowed(r.headers, this.origins)) throw vigilError('VIGIL_ERR_BAD_ORIGIN', r.headers.origin);
    const result = await this.authenticate(r.realm, token, r.touch ?? false);
    if (!result && cookie) return { principal: null, resolved: null, viaCookie: false, staleCookie: true };
    if (!result) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', CREDENTIAL_ENDED);
    return { principal: result.principal, resolved: result.resolved, viaCookie: Boolean(cookie), staleCookie: false };
  }

  /** Adds a resolver consulted for tokens that are neither session tokens nor display keys. */
  addResolver(r: TokenResolver): void {
    this.resolvers.push(r);
  }

  /** Resolves a token of any kind; `touch` counts this use as session activity. Callers outside this file use `identify`. */
  private async authenticate(realm: string, token: string, touch: false | string = false): Promise<AuthResult | null> {
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
