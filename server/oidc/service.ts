/**
 * The OpenID Connect provider's state and token issuance, on top of the session engine: an
 * OIDC login starts an `sso` (or `offline`) session in the engine, so the timer wheel warns
 * and expires it like any console session; this service keeps the OIDC-only records beside it
 * under the realm's key base (authorization codes, client sessions, login records, revoked
 * access-token ids) and mints the JWTs.
 */
import type { FastifyRequest } from 'fastify';
import type { ScriptedRedis } from '../redis/scripts.js';
import type { Keys } from '../redis/keys.js';
import type { SessionEngine } from '../sessions/engine.js';
import type { RealmStore } from '../realms/store.js';
import type { UserStore } from '../users/store.js';
import type { AuthResult } from '../auth/authenticate.js';
import { ROLES, strongestRole } from '../../shared/protocol.js';
import type { Role } from '../../shared/protocol.js';
import type { RealmPolicy } from '../../shared/policy.js';
import { ClientStore, type OidcClient } from './clients.js';
import { SigningKeys } from './signing.js';
import { OidcTokens, atHash, newJti, type AccessClaims, type RefreshClaims } from './tokens.js';
import { oauthError } from './errors.js';
import { hashToken, newToken } from '../sessions/tokens.js';
import type { StoredUser } from '../users/store.js';
import { IdentityProviderStore } from './identity-providers.js';

export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
/** Keycloak always grants its default client scopes. */
const DEFAULT_SCOPES = ['profile', 'email'];

export interface SessionFacts {
  id: string;
  kind: 'sso' | 'offline';
  /** idle timeout, seconds */
  it: number;
  /** max expiry, ms */
  mx: number;
  /** when the user authenticated, seconds */
  authTime: number;
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_expires_in?: number;
  refresh_token?: string;
  token_type: 'Bearer';
  id_token?: string;
  'not-before-policy': 0;
  session_state?: string;
  scope: string;
}

/** Parses a space-separated scope, refusing unknown values (invalid_scope); returns the granted scope. */
export function grantScope(raw: unknown, opts: { offlineAllowed?: boolean } = {}): { scope: string; offline: boolean; openid: boolean } {
  if (raw !== undefined && typeof raw !== 'string') throw oauthError('invalid_request', 'scope must be given once, as a string');
  const asked = (raw ?? '').split(' ').filter(Boolean);
  for (const s of asked) {
    if (!(SUPPORTED_SCOPES as readonly string[]).includes(s)) throw oauthError('invalid_scope', `Invalid scopes: ${s} is not a scope of this realm`);
  }
  const offline = asked.includes('offline_access');
  if (offline && opts.offlineAllowed === false) throw oauthError('invalid_scope', 'offline_access is not available for this grant');
  const granted = new Set<string>([...(asked.includes('openid') ? ['openid'] : []), ...DEFAULT_SCOPES, ...(offline ? ['offline_access'] : [])]);
  return { scope: [...granted].join(' '), offline, openid: asked.includes('openid') };
}

/** The realm's issuer: from the public URL, never from the request's Host header. */
export function issuerOf(req: FastifyRequest, realm: string): string {
  return `${req.server.publicUrl()}/realms/${realm}`;
}

export class OidcService {
  readonly clients: ClientStore;
  readonly signing: SigningKeys;
  readonly tokens: OidcTokens;
  readonly identityProviders: IdentityProviderStore;

  /** What the provider builds on (the app passes itself: its decorators): the session engine and the stores. */
  constructor(private readonly s: { redis: ScriptedRedis; keys: Keys; engine: SessionEngine; realms: RealmStore; users: UserStore; config: { webhookAllowPrivate: boolean } }) {
    this.clients = new ClientStore(s.redis, s.keys, s.config.webhookAllowPrivate);
    this.signing = new SigningKeys(s.redis, s.keys);
    this.tokens = new OidcTokens(this.signing);
    this.identityProviders = new IdentityProviderStore(s.redis, s.keys);
  }

  /** Access-token lifespan: the client's own, else the realm's (the implicit one for implicit flows). */
  lifespan(policy: RealmPolicy, client: OidcClient | null, implicit: boolean): number {
    if (client?.accessTokenLifespan) return client.accessTokenLifespan;
    return implicit ? policy.accessTokenLifespanImplicit : policy.accessTokenLifespan;
  }

  async accessToken(realm: string, iss: string, client: OidcClient | null, clientId: string, policy: RealmPolicy, user: StoredUser | null, session: SessionFacts | null, scope: string, implicit = false): Promise<{ token: string; exp: number; iat: number }> {
    const iat = Math.floor(Date.now() / 1000);
    let exp = iat + this.lifespan(policy, client, implicit);
    if (session) exp = Math.min(exp, Math.floor(session.mx / 1000));
    const claims: AccessClaims = {
      iss, sub: user ? user.id : `service-account-${clientId}`, aud: clientId, azp: clientId, typ: 'Bearer', iat, exp, jti: newJti(), scope,
      ...(session ? { sid: session.id, session_state: session.id, auth_time: session.authTime } : {}),
      preferred_username: user ? user.username : `service-account-${clientId}`,
      realm_access: { roles: user ? user.roles : [] },
    };
    return { token: await this.tokens.signEs(realm, claims, 'JWT'), exp, iat };
  }

  /** Mints the token response for a live session (code, password and refresh grants). */
  async issue(opts: {
    realm: string; iss: string; client: OidcClient; policy: RealmPolicy; user: StoredUser; session: SessionFacts;
    scope: string; gen: number; nonce?: string; withIdToken: boolean;
  }): Promise<TokenResponse> {
    const { realm, iss, client, policy, user, session, scope } = opts;
    const now = Math.floor(Date.now() / 1000);
    // refresh and authentication bump idle: the new deadline is now + idle, capped by the max
    const refreshExp = Math.floor(Math.min(Date.now() + session.it * 1000, session.mx) / 1000);
    const refresh: RefreshClaims = {
      iss, aud: iss, sub: user.id, typ: session.kind === 'offline' ? 'Offline' : 'Refresh', azp: client.clientId, sid: session.id,
      session_state: session.id, gen: opts.gen, scope, iat: now, exp: refreshExp, jti: newJti(), auth_time: session.authTime,
    };
    const [access, refreshToken] = await Promise.all([
      this.accessToken(realm, iss, client, client.clientId, policy, user, session, scope),
      this.tokens.signRefresh(realm, refresh),
    ]);
    const res: TokenResponse = {
      access_token: access.token,
      expires_in: Math.max(0, access.exp - now),
      refresh_expires_in: Math.max(0, refreshExp - now),
      refresh_token: refreshToken,
      token_type: 'Bearer',
      'not-before-policy': 0,
      session_state: session.id,
      scope,
    };
    // at_hash is only required beside implicit responses; leaving it out here lets the ID token be
    // signed without waiting for the access token
    if (opts.withIdToken) res.id_token = await this.idToken(realm, iss, client.clientId, user, session, null, access.exp, opts.nonce);
    return res;
  }

  async idToken(realm: string, iss: string, clientId: string, user: StoredUser, session: SessionFacts, accessToken: string | null, exp: number, nonce?: string): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    return this.tokens.signEs(realm, {
      iss, sub: user.id, aud: clientId, azp: clientId, typ: 'ID', iat, exp, auth_time: session.authTime, jti: newJti(),
      sid: session.id, session_state: session.id, preferred_username: user.username,
      // the `email` scope is always granted (DEFAULT_SCOPES)
      ...(user.email ? { email: user.email, email_verified: user.emailVerified } : {}),
      ...(nonce ? { nonce } : {}), ...(accessToken ? { at_hash: atHash(accessToken) } : {}),
    }, 'JWT');
  }

  /** Starts the client session that refresh tokens of this (session, client) pair are counted in. */
  async openClientSession(realm: string, sid: string, clientId: string, userId: string, ttlMs: number): Promise<number> {
    const key = this.s.keys.oidcClientSession(realm, sid, clientId);
    const [[, gen]] = ((await this.s.redis.multi().hincrby(key, 'gen', 1).hset(key, 'u', userId).pexpire(key, Math.max(1000, ttlMs)).exec()) ?? []) as Array<[unknown, number]>;
    return Number(gen);
  }

  async closeClientSession(realm: string, sid: string, clientId: string): Promise<void> {
    await this.s.redis.del(this.s.keys.oidcClientSession(realm, sid, clientId));
  }

  async clientSessionAlive(realm: string, sid: string, clientId: string): Promise<boolean> {
    return (await this.s.redis.exists(this.s.keys.oidcClientSession(realm, sid, clientId))) === 1;
  }

  /**
   * Stores an authorization code valid for Client login timeout; returns the code.
   * `redirectUriGiven`: the authorization request carried redirect_uri, so the token request must repeat it.
   */
  async newCode(realm: string, fields: { clientId: string; redirectUri: string; redirectUriGiven: boolean; challenge: string; nonce: string; scope: string; sid: string }, lifetimeSeconds: number): Promise<string> {
    const code = newToken('');
    const key = this.s.keys.oidcCode(realm, hashToken(code));
    await this.s.redis.multi()
      .hset(key, { c: fields.clientId, ru: fields.redirectUri, rg: fields.redirectUriGiven ? '1' : '0', cc: fields.challenge, n: fields.nonce, sc: fields.scope, s: fields.sid, x: String(Date.now() + lifetimeSeconds * 1000) })
      // kept past its expiry so that a late or repeated redemption is recognised as such
      .pexpire(key, lifetimeSeconds * 1000 + 600_000)
      .exec();
    return code;
  }

  async revokeAccessToken(realm: string, jti: string, exp: number): Promise<void> {
    const ttl = exp * 1000 - Date.now();
    if (ttl > 0) await this.s.redis.set(this.s.keys.oidcRevoked(realm, jti), '1', 'PX', ttl + 1000);
  }

  async accessTokenRevoked(realm: string, jti: string): Promise<boolean> {
    return (await this.s.redis.exists(this.s.keys.oidcRevoked(realm, jti))) === 1;
  }

  /**
   * Validates an access token fully: signature, expiry, not revoked, and — for user tokens —
   * its session still alive. Returns the claims or null.
   */
  async liveAccessToken(realm: string, token: string): Promise<AccessClaims | null> {
    const v = await this.tokens.verifyEsSignature<AccessClaims>(realm, token);
    if (!v) return null;
    const { claims, kid } = v;
    if (claims.typ !== 'Bearer' || typeof claims.jti !== 'string' || typeof claims.azp !== 'string') return null;
    // one round trip: not revoked, its signing key not retired, its session alive
    const p = this.s.redis.pipeline().exists(this.s.keys.oidcRevoked(realm, claims.jti)).hexists(...this.signing.publishedCommand(realm, kid));
    if (claims.sid) p.exists(this.s.keys.session(realm, claims.sid));
    const res = (await p.exec()) ?? [];
    if (Number(res[0]?.[1]) === 1) return null;
    if (Number(res[1]?.[1]) !== 1) return null;
    if (claims.sid && Number(res[2]?.[1]) !== 1) return null;
    return claims;
  }

  /**
   * The longest a token signed now can live, seconds: access and ID tokens (an ID token's exp is
   * its access token's) get the client's lifespan, else the realm's (the implicit one for
   * implicit grants). What a key rotated out now must keep verifying for.
   */
  async longestTokenLifetime(realm: string): Promise<number> {
    const [policy, clients] = await Promise.all([this.s.realms.policy(realm), this.clients.list(realm)]);
    return Math.max(policy.accessTokenLifespan, policy.accessTokenLifespanImplicit, ...clients.map((c) => c.accessTokenLifespan ?? 0));
  }

  /**
   * Authenticator resolver: an OIDC access token authenticates REST and real-time calls as its
   * session. It was issued to one client, so it is not a key to everything its user may do
   * (RFC 9700 §2.3): it carries only the roles its client was granted (`apiRoles`) that the
   * user holds — admin includes viewer, and every user holds `user` — and with none of them it
   * acts only as its own session (`sessionOnly`: me, activity, extend, logout, the `self` topic).
   * `touch`: the request counts as activity on the token's session (a state-changing REST call).
   */
  resolver = async (realm: string, token: string, touch: false | string): Promise<AuthResult | null | undefined> => {
    if (!/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(token)) return undefined;
    const claims = await this.liveAccessToken(realm, token);
    if (!claims || !claims.sid || typeof claims.sub !== 'string') return null;
    const [user, client] = await Promise.all([this.s.users.byId(realm, claims.sub), this.clients.get(realm, claims.azp)]);
    if (!user || !user.enabled) return null;
    if (touch && !(await this.s.engine.touch(realm, claims.sid, touch))) return null;
    const granted = apiRolesOf(user.roles, client?.apiRoles ?? []);
    const sessionOnly = granted.length === 0;
    const roles: Role[] = sessionOnly ? ['user'] : granted;
    return {
      principal: {
        realm, roles, role: strongestRole(roles), user: { id: user.id, username: user.username, tokenLifetime: user.tokenLifetime },
        sessionId: claims.sid, displayKeyId: null,
        sessionOnly, expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null, tokenId: claims.jti ?? null,
      },
      resolved: null,
    };
  };
}

/**
 * The roles an access token acts with: those its client is granted that its user holds, where
 * admin includes viewer and every user holds `user` (own sessions). Strongest first.
 */
export function apiRolesOf(userRoles: readonly Role[], clientRoles: readonly Role[]): Role[] {
  const held = new Set<Role>(['user', ...userRoles]);
  if (held.has('admin')) held.add('viewer');
  return ROLES.filter((r) => held.has(r) && clientRoles.includes(r));
}
