/**
 * The token endpoint: authorization_code (PKCE), refresh_token (rotation and reuse detection
 * per Revoke Refresh Token / Max Reuse), password (direct access grants) and
 * client_credentials (confidential clients).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { oauthError } from './errors.js';
import { authenticateClient, optional, params, realmParam, required, sessionFacts } from './http.js';
import { grantScope, issuerOf, type SessionFacts, type TokenResponse } from './service.js';
import type { OidcClient } from './clients.js';
import { hashToken } from '../sessions/tokens.js';
import { isSessionLimit, LoginFailure, type LoginAttempt } from '../auth/login.js';
import { flatToHash } from '../sessions/format.js';
import type { StoredUser } from '../users/store.js';
import { CodeResult, RefreshResult } from '../redis/results.js';

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** The OAuth error (invalid_grant) each refusal of the code and refresh scripts answers with. */
function oauthRefusal(result: number, family: 'code' | 'refresh', verifierGiven = false): Error {
  const why = family === 'code'
    ? {
        [CodeResult.VerifierMismatch]: verifierGiven ? 'PKCE verification failed: Code mismatch' : 'PKCE code verifier not specified',
        [CodeResult.RedirectMismatch]: 'Incorrect redirect_uri',
        [CodeResult.UnexpectedVerifier]: 'PKCE code verifier specified but challenge not present in authorization',
        [CodeResult.OtherClient]: 'Code was issued to another client',
      }[result] ?? 'Code not valid'
    : {
        [RefreshResult.NoSession]: 'Session not active',
        [RefreshResult.NoClientSession]: 'Session doesn\'t have required client',
        [RefreshResult.Reused]: 'Maximum allowed refresh token reuse exceeded',
      }[result] ?? 'Invalid refresh token';
  return oauthError('invalid_grant', why);
}

export async function tokenEndpoint(app: FastifyInstance): Promise<void> {
  const { engine, users, realms, redis, login } = app;
  const oidc = app.oidc;

  /** Client-session TTL: a little past the refresh token's own expiry. */
  const csTtl = (f: SessionFacts) => Math.max(60_000, Math.min(Date.now() + f.it * 1000, f.mx) - Date.now() + 60_000);

  async function startClientSession(req: FastifyRequest, realm: string, client: OidcClient, user: StoredUser, f: SessionFacts, scope: string, openid: boolean, nonce: string | undefined, grant: string): Promise<TokenResponse> {
    const policy = await realms.policy(realm);
    const gen = await oidc.openClientSession(realm, f.id, client.clientId, user.id, csTtl(f));
    const res = await oidc.issue({ realm, iss: issuerOf(req, realm), client, policy, user, session: f, scope, gen, nonce, withIdToken: openid });
    await engine.emit(realm, 'token.issued', { clientId: client.clientId, grant, scope }, f.id);
    return res;
  }

  async function authorizationCode(req: FastifyRequest, realm: string, client: OidcClient, p: Record<string, unknown>): Promise<TokenResponse> {
    if (!client.standardFlowEnabled) throw oauthError('unauthorized_client', 'Client not allowed to exchange code');
    const code = required(p, 'code', 512);
    const redirectUri = optional(p, 'redirect_uri', 2000);
    const verifier = optional(p, 'code_verifier', 200);
    if (verifier !== undefined && !PKCE_VERIFIER.test(verifier)) throw oauthError('invalid_grant', 'PKCE verification failed: Code mismatch');
    // the script compares the verifier with the code's challenge and the redirect_uri with the
    // authorization request's before it changes anything: a wrong one does not use the code up
    const reply = (await redis.oidcRedeemCode(
      ...app.keys.script.oidcRedeemCode(realm, hashToken(code)), client.clientId, verifier ? s256(verifier) : '', redirectUri !== undefined ? '1' : '0', redirectUri ?? '',
    )) as unknown[];
    const result = Number(reply[0]);
    if (result !== CodeResult.Ok) throw oauthRefusal(result, 'code', Boolean(verifier));
    const c = flatToHash(reply[1]) as Record<string, string>;
    const f = await sessionFacts(app, realm, c.s!);
    if (!f) throw oauthError('invalid_grant', 'Session not active');
    const user = await users.byId(realm, f.userId);
    if (!user || !user.enabled) throw oauthError('invalid_grant', 'User not found or disabled');
    const { openid } = grantScope(c.sc);
    return startClientSession(req, realm, client, user, f, c.sc!, openid, c.n || undefined, 'authorization_code');
  }

  async function refreshToken(req: FastifyRequest, realm: string, client: OidcClient, p: Record<string, unknown>): Promise<TokenResponse> {
    const token = required(p, 'refresh_token', 4096);
    if (optional(p, 'scope') !== undefined) grantScope(p.scope);
    const claims = await oidc.tokens.verifyRefresh(realm, token);
    if (!claims) throw oauthError('invalid_grant', 'Invalid refresh token');
    if (claims.azp !== client.clientId) throw oauthError('invalid_grant', 'Invalid refresh token. Token client and authorized client don\'t match');
    const [policy, user] = await Promise.all([realms.policy(realm), users.byId(realm, String(claims.sub))]);
    if (!user || !user.enabled) throw oauthError('invalid_grant', 'User disabled or not found');
    // a public client cannot keep a secret, so a stolen refresh token of its would work for anyone:
    // its tokens always rotate, one use each, and a reuse ends the session, whatever the realm's
    // Revoke Refresh Token says (RFC 9700 §4.14.2); confidential clients follow the policy
    const rotate = client.publicClient || policy.revokeRefreshToken;
    const maxReuse = client.publicClient ? 0 : policy.refreshTokenMaxReuse;
    const refreshed = await engine.refreshClientSession(
      realm, claims.sid, client.clientId, claims.gen, rotate, maxReuse, { clientId: client.clientId, generation: claims.gen },
    );
    if (refreshed.result !== RefreshResult.Ok) throw oauthRefusal(refreshed.result, 'refresh');
    const { facts } = refreshed;
    // the script recorded the activity of an active session; in an idle warning only an extend
    // moves the deadline (Keycloak: refresh bumps idle), and a max warning cannot be extended
    if (facts.state === 'warning' && facts.warningReason === 'idle') await engine.extend(realm, claims.sid).catch(() => null);
    const f: SessionFacts = {
      id: claims.sid, kind: facts.kind === 'offline' ? 'offline' : 'sso', it: facts.idleTimeout, mx: facts.maxExpiresAt, authTime: Number(claims.auth_time ?? claims.iat ?? 0),
    };
    const res = await oidc.issue({
      realm, iss: issuerOf(req, realm), client, policy, user, session: f, scope: claims.scope, gen: refreshed.generation,
      withIdToken: claims.scope.split(' ').includes('openid'),
    });
    return res;
  }

  async function password(req: FastifyRequest, realm: string, client: OidcClient, p: Record<string, unknown>): Promise<TokenResponse> {
    if (!client.directAccessGrantsEnabled) throw oauthError('unauthorized_client', 'Client not allowed for direct access grants');
    const username = required(p, 'username', 64);
    const pass = required(p, 'password', 256);
    const { scope, offline, openid } = grantScope(p.scope);
    const attempt: LoginAttempt = {
      realm, username, password: pass, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, kind: offline ? 'offline' : 'sso', clientId: client.clientId,
    };
    let user: StoredUser;
    try {
      user = await login.authenticate(attempt);
    } catch (err) {
      if (!(err instanceof LoginFailure)) throw err;
      if (err.reason === 'rate_limited') {
        const e = oauthError('invalid_grant', 'Too many failed login attempts; try again later', 429);
        // the plugin's error handler writes retry-after from retryAfter
        throw Object.assign(e, { retryAfter: err.retryAfter });
      }
      throw oauthError('invalid_grant', err.reason === 'disabled' ? 'Account disabled' : 'Invalid user credentials', 401);
    }
    if (user.requiredActions.length) {
      await login.refuse(attempt, user, 'required_action');
      throw oauthError('invalid_grant', 'Account is not fully set up');
    }
    let started: Awaited<ReturnType<typeof login.start>>;
    try {
      started = await login.start(attempt, user, 'password');
    } catch (err) {
      if (!isSessionLimit(err)) throw err;
      throw oauthError('access_denied', 'Too many sessions: the user has as many sessions as the realm allows (maxSessionsPerUser)');
    }
    const f: SessionFacts = {
      id: started.session.id, kind: offline ? 'offline' : 'sso', it: started.session.idleTimeout,
      mx: Date.parse(started.session.maxExpiresAt), authTime: Math.floor(Date.parse(started.session.createdAt) / 1000),
    };
    return startClientSession(req, realm, client, user, f, scope, openid, undefined, 'password');
  }

  async function clientCredentials(req: FastifyRequest, realm: string, client: OidcClient, p: Record<string, unknown>): Promise<TokenResponse> {
    if (client.publicClient) throw oauthError('unauthorized_client', 'Public client not allowed to retrieve service account');
    const { scope } = grantScope(p.scope, { offlineAllowed: false });
    const policy = await realms.policy(realm);
    const access = await oidc.accessToken(realm, issuerOf(req, realm), client, client.clientId, policy, null, null, scope);
    await engine.emit(realm, 'token.issued', { clientId: client.clientId, grant: 'client_credentials', scope });
    return { access_token: access.token, expires_in: access.exp - access.iat, token_type: 'Bearer', 'not-before-policy': 0, scope };
  }

  const GRANTS: Record<string, (req: FastifyRequest, realm: string, client: OidcClient, p: Record<string, unknown>) => Promise<TokenResponse>> = {
    authorization_code: authorizationCode,
    refresh_token: refreshToken,
    password,
    client_credentials: clientCredentials,
  };

  app.post('/realms/:realm/protocol/openid-connect/token', { config: { rateLimit: { groupId: 'password' } } }, async (req, reply) => {
    const realm = realmParam(req);
    const p = params(req);
    const grantType = required(p, 'grant_type', 100);
    const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
    const client = await authenticateClient(app, req, realm, p);
    if (!grant) throw oauthError('unsupported_grant_type', `Unsupported grant_type ${grantType}`);
    const res = await grant(req, realm, client, p);
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(res);
  });
}
