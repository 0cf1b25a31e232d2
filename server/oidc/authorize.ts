/**
 * The authorization endpoint and the login pages behind it.
 *
 * A login is a record in Redis (<base>oidc:login:<id>, hash): the validated authorization
 * request, when the login started (Login timeout) and when the current page was shown (Login
 * action timeout), the page's CSRF token, and the hash of a browser-binding cookie. A form
 * post must carry the login id, the CSRF token of the page it came from, and the cookie; so a
 * page from another site can neither forge nor replay it. When either timeout has passed the
 * user is told so and the login starts again from the first page (Keycloak's behaviour).
 *
 * The endpoint is unauthenticated, and each request it accepts stores a login record and appends
 * login.started to the realm's stream; so what a request may make it store is bounded, and the
 * requests from one address are limited (VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthError, isOAuthError, type OAuthError } from './errors.js';
import { optional, params, realmParam } from './http.js';
import { grantScope, issuerOf, type SessionFacts } from './service.js';
import type { OidcClient } from './clients.js';
import { loginPage, messagePage, pageHeaders, updatePasswordPage } from './pages.js';
import { hashToken } from '../sessions/tokens.js';
import { originAllowed, originPolicy, secureCookies, setSessionCookie } from '../auth/authenticate.js';
import { verifyPassword } from '../users/passwords.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/accounts.js';
import { isSessionLimit, LoginFailure, type LoginOrigin } from '../auth/login.js';
import type { StoredUser } from '../users/store.js';
import { USERNAME } from '../../shared/accounts.js';

const BROWSER_COOKIE = 'vigil_auth';
export const LOGIN_TIMED_OUT = 'Your login attempt timed out. Login will start from the beginning.';
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export const AUTHORIZATION_PATH = '/realms/:realm/protocol/openid-connect/auth';

/**
 * The most an authorization request may carry, in characters (oversize is invalid_request):
 * bounds the login record it makes. Real clients send far less (openid-client and keycloak-js:
 * a 36–43 character state and nonce); the state bound is Connect2id's for query responses.
 */
const MAX = {
  state: 1024,
  nonce: 256,
  /** an S256 challenge is exactly 43 characters */
  codeChallenge: 43,
  scope: 512,
  /** every parameter name and value together */
  request: 8192,
} as const;

/** Characters in every parameter name and value of a request. */
function requestSize(p: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(p)) {
    n += k.length;
    for (const x of Array.isArray(v) ? v : [v]) n += String(x ?? '').length;
  }
  return n;
}

interface AuthRequest {
  clientId: string;
  redirectUri: string;
  /**
   * The request carried redirect_uri (false: the client's only registered URI was used), so the
   * token request must repeat it (RFC 6749 §4.1.3). Absent in records made before it existed.
   */
  redirectUriGiven?: boolean;
  responseType: 'code' | 'token' | 'id_token token';
  responseMode: 'query' | 'fragment';
  scope: string;
  offline: boolean;
  openid: boolean;
  state?: string;
  nonce?: string;
  challenge?: string;
  loginHint?: string;
  /** A dashboard sign-in (console-login): completes with a console session and its cookie, not a redirect to a client. */
  console?: boolean;
}

interface LoginRecord {
  id: string;
  req: AuthRequest;
  /** started at, ms */
  st: number;
  /** current page shown at, ms */
  pa: number;
  csrf: string;
  /** browser cookie hash */
  b: string;
  step: 'password' | 'update_password';
  u?: string;
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Appends response parameters to a registered redirect URI, in the query or the fragment. */
export function redirectWith(uri: string, mode: 'query' | 'fragment', values: Record<string, string | undefined>): string {
  const entries = Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined);
  if (mode === 'fragment') return `${uri}#${new URLSearchParams(entries).toString()}`;
  const u = new URL(uri);
  for (const [k, v] of entries) u.searchParams.set(k, v);
  return u.toString();
}

export async function authorizationEndpoint(app: FastifyInstance): Promise<void> {
  const { engine, users, realms, redis, keys, login } = app;
  const oidc = app.oidc;

  const actionUrl = (realm: string) => `/realms/${realm}/login-actions/authenticate`;

  function browserId(req: FastifyRequest, reply: FastifyReply, realm: string): string {
    let id = req.cookies[BROWSER_COOKIE];
    if (!id || !/^[\w-]{20,64}$/.test(id)) {
      id = randomBytes(24).toString('base64url');
      reply.setCookie(BROWSER_COOKIE, id, { path: `/realms/${realm}/`, httpOnly: true, sameSite: 'lax', secure: secureCookies(req) });
    }
    return id;
  }

  async function saveLogin(realm: string, rec: LoginRecord, loginTimeout: number): Promise<void> {
    const key = keys.oidcLogin(realm, rec.id);
    await redis.multi()
      .hset(key, { r: JSON.stringify(rec.req), st: String(rec.st), pa: String(rec.pa), csrf: rec.csrf, b: rec.b, step: rec.step, u: rec.u ?? '' })
      // kept a while past its timeout, so that a late post is told "timed out", not "unknown"
      .pexpireat(key, rec.st + loginTimeout * 1000 + 600_000)
      .exec();
  }

  async function loadLogin(realm: string, id: string): Promise<LoginRecord | null> {
    if (!/^[\w-]{10,64}$/.test(id)) return null;
    const h = await redis.hgetall(keys.oidcLogin(realm, id));
    if (!h.r) return null;
    return { id, req: JSON.parse(h.r) as AuthRequest, st: Number(h.st), pa: Number(h.pa), csrf: h.csrf!, b: h.b!, step: h.step as LoginRecord['step'], u: h.u || undefined };
  }

  async function clientName(realm: string, clientId: string): Promise<string> {
    const c = await oidc.clients.get(realm, clientId);
    return c?.name || clientId;
  }

  /** Shows a page of the login, which restarts the Login action timeout and issues a new CSRF token. */
  async function showPage(reply: FastifyReply, realm: string, rec: LoginRecord, opts: { error?: string; username?: string; status?: number } = {}) {
    const policy = await realms.policy(realm);
    rec.pa = Date.now();
    rec.csrf = randomBytes(24).toString('base64url');
    await saveLogin(realm, rec, policy.loginTimeout);
    const providers = (await oidc.identityProviders.list(realm)).map((p) => ({ name: p.displayName, href: `/realms/${realm}/broker/${p.alias}/login?login=${rec.id}` }));
    const ctx = { realm, action: actionUrl(realm), loginId: rec.id, csrf: rec.csrf, error: opts.error, username: opts.username ?? rec.req.loginHint, clientName: rec.req.console ? 'the Vigil dashboard' : await clientName(realm, rec.req.clientId), resetUrl: `/realms/${realm}/login-actions/reset-credentials`, providers };
    return pageHeaders(reply).code(opts.status ?? 200).send(rec.step === 'update_password' ? updatePasswordPage(ctx) : loginPage(ctx));
  }

  async function newLogin(req: FastifyRequest, reply: FastifyReply, realm: string, ar: AuthRequest, error?: string) {
    const rec: LoginRecord = { id: randomBytes(18).toString('base64url'), req: ar, st: Date.now(), pa: Date.now(), csrf: '', b: hashToken(browserId(req, reply, realm)), step: 'password' };
    await engine.emit(realm, 'login.started', { clientId: ar.clientId, responseType: ar.responseType, ip: req.ip });
    return showPage(reply, realm, rec, { error });
  }

  /** Validates an authorization request. Errors before the redirect URI is trusted are shown, never redirected. */
  async function parseRequest(realm: string, p: Record<string, unknown>): Promise<{ client: OidcClient | null; ar?: AuthRequest; redirect?: { uri: string; mode: 'query' | 'fragment'; state?: string }; error?: OAuthError; page?: string }> {
    let clientId: string | undefined;
    let redirectUri: string | undefined;
    try {
      clientId = optional(p, 'client_id', 200);
      redirectUri = optional(p, 'redirect_uri', 2000);
    } catch (e) {
      return { client: null, page: (e as Error).message };
    }
    if (!clientId) return { client: null, page: 'Missing parameter: client_id' };
    const client = await oidc.clients.get(realm, clientId);
    if (!client) return { client: null, page: 'Client not found.' };
    const redirectUriGiven = redirectUri !== undefined;
    if (!redirectUri && client.redirectUris.length === 1) redirectUri = client.redirectUris[0];
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) return { client, page: 'Invalid parameter: redirect_uri' };
    let state: string | undefined;
    let mode: 'query' | 'fragment' = 'query';
    const fail = (error: OAuthError) => ({ client, redirect: { uri: redirectUri!, mode, state }, error });
    try {
      state = optional(p, 'state', MAX.state);
      if (requestSize(p) > MAX.request) throw oauthError('invalid_request', `The request is too large (at most ${MAX.request} characters)`);
      const rt = optional(p, 'response_type', 100);
      const rm = optional(p, 'response_mode', 50);
      if (rt === 'token' || rt === 'id_token token' || rt === 'token id_token') mode = 'fragment';
      if (rm !== undefined) {
        if (rm !== 'query' && rm !== 'fragment') throw oauthError('invalid_request', 'Invalid parameter: response_mode');
        if (rm === 'query' && mode === 'fragment') throw oauthError('invalid_request', 'Invalid parameter: response_mode (query is not allowed for implicit flows)');
        mode = rm;
      }
      if (!rt) throw oauthError('invalid_request', 'Missing parameter: response_type');
      let responseType: AuthRequest['responseType'];
      if (rt === 'code') {
        if (!client.standardFlowEnabled) throw oauthError('unauthorized_client', 'Client is not allowed to initiate browser login with given response_type. Standard flow is disabled for the client.');
        responseType = 'code';
      } else if (rt === 'token' || rt === 'id_token token' || rt === 'token id_token') {
        if (!client.implicitFlowEnabled) throw oauthError('unauthorized_client', 'Client is not allowed to initiate browser login with given response_type. Implicit flow is disabled for the client.');
        responseType = rt === 'token' ? 'token' : 'id_token token';
      } else {
        throw oauthError('unsupported_response_type', `Unsupported response_type ${rt}`);
      }
      const { scope, offline, openid } = grantScope(optional(p, 'scope', MAX.scope), { offlineAllowed: responseType === 'code' });
      const nonce = optional(p, 'nonce', MAX.nonce);
      if (responseType === 'id_token token' && !nonce) throw oauthError('invalid_request', 'Missing parameter: nonce');
      const challenge = optional(p, 'code_challenge', MAX.codeChallenge);
      const method = optional(p, 'code_challenge_method', 20);
      if (responseType === 'code') {
        if (method !== undefined && method !== 'S256') throw oauthError('invalid_request', 'Invalid parameter: code challenge method is not supported (use S256)');
        if (challenge !== undefined && (method !== 'S256' || !CHALLENGE.test(challenge))) throw oauthError('invalid_request', 'Invalid parameter: code_challenge');
        if (client.publicClient && !challenge) throw oauthError('invalid_request', 'Missing parameter: code_challenge_method (PKCE S256 is required for public clients)');
      }
      if (optional(p, 'prompt', 100)?.split(' ').includes('none')) throw Object.assign(oauthError('invalid_request', 'login_required'), { error: 'login_required' });
      return {
        client,
        ar: { clientId, redirectUri, redirectUriGiven, responseType, responseMode: mode, scope, offline, openid, state, nonce, challenge, loginHint: optional(p, 'login_hint', 64) },
      };
    } catch (e) {
      if (isOAuthError(e)) return fail(e);
      throw e;
    }
  }

  const authorize = async (req: FastifyRequest, reply: FastifyReply) => {
    const realm = realmParam(req);
    const parsed = await parseRequest(realm, params(req));
    if (parsed.page) {
      return pageHeaders(reply).code(400).send(messagePage(realm, 'We are sorry…', parsed.page, { alert: true }));
    }
    if (parsed.error) {
      const { uri, mode, state } = parsed.redirect!;
      return reply.header('cache-control', 'no-store').redirect(redirectWith(uri, mode, { error: parsed.error.error, error_description: parsed.error.description, state, iss: issuerOf(req, realm) }), 302);
    }
    return newLogin(req, reply, realm, parsed.ar!);
  };
  // one route for every method, so that GET, HEAD and POST share one count per address
  app.route({
    method: ['GET', 'HEAD', 'POST'],
    url: AUTHORIZATION_PATH,
    config: {
      rateLimit: {
        groupId: 'authorize',
        // a person signing in makes a handful; a script making login records without end is
        // stopped before it fills Redis or pushes real events out of the length-trimmed stream
        max: app.config.authorizationRequestsPerMinute,
        // every request counts, not only those that carry a password
        allowList: [],
        errorResponseBuilder: (_req, ctx) => {
          const seconds = Math.ceil(ctx.ttl / 1000);
          return Object.assign(oauthError('invalid_request', `Too many sign-in requests from this address. Wait ${seconds} seconds and try again.`, 429), { retryAfter: seconds });
        },
      },
    },
    handler: authorize,
  });

  const originOf = (req: FastifyRequest, rec: LoginRecord): LoginOrigin => ({
    realm: realmParam(req), ip: req.ip, userAgent: req.headers['user-agent'] ?? null, kind: rec.req.offline ? 'offline' : 'sso', clientId: rec.req.clientId,
  });

  /** The user is authenticated: start the session and send the browser back with a code or tokens. */
  async function complete(req: FastifyRequest, reply: FastifyReply, realm: string, rec: LoginRecord, user: StoredUser) {
    const ar = rec.req;
    await redis.del(keys.oidcLogin(realm, rec.id));
    if (ar.console) {
      const started = await login.start({ realm, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, kind: 'console', clientId: null }, user);
      setSessionCookie(req, reply, started.token);
      return reply.header('cache-control', 'no-store').redirect('/', 302);
    }
    const policy = await realms.policy(realm);
    const iss = issuerOf(req, realm);
    let started: Awaited<ReturnType<typeof login.start>>;
    try {
      started = await login.start(originOf(req, rec), user, ar.responseType === 'code' ? 'authorization_code' : 'implicit');
    } catch (err) {
      if (!isSessionLimit(err)) throw err;
      // the person at the browser learns why; the application learns access_denied when they go back to it
      const back = redirectWith(ar.redirectUri, ar.responseType === 'code' ? ar.responseMode : 'fragment', {
        error: 'access_denied', error_description: 'Too many sessions: the session limit of this realm is reached', state: ar.state, iss,
      });
      return pageHeaders(reply).code(403).send(messagePage(realm, 'Too many sessions',
        `Sign-in refused (access_denied): you already have ${policy.maxSessionsPerUser} active session${policy.maxSessionsPerUser === 1 ? '' : 's'}, the most this realm allows per user (the session limit). Sign out of one of your other sessions, then sign in again.`,
        { alert: true, link: { href: back, text: 'Back to the application' } }));
    }
    const sid = started.session.id;
    if (ar.responseType === 'code') {
      const code = await oidc.newCode(realm, { clientId: ar.clientId, redirectUri: ar.redirectUri, redirectUriGiven: ar.redirectUriGiven !== false, challenge: ar.challenge ?? '', nonce: ar.nonce ?? '', scope: ar.scope, sid }, policy.clientLoginTimeout);
      return reply.header('cache-control', 'no-store').redirect(redirectWith(ar.redirectUri, ar.responseMode, { state: ar.state, session_state: sid, iss, code }), 302);
    }
    const client = await oidc.clients.get(realm, ar.clientId);
    const f: SessionFacts = { id: sid, kind: 'sso', it: started.session.idleTimeout, mx: Date.parse(started.session.maxExpiresAt), authTime: Math.floor(Date.parse(started.session.createdAt) / 1000) };
    const access = await oidc.accessToken(realm, iss, client, ar.clientId, policy, user, f, ar.scope, true);
    const idToken = ar.responseType === 'id_token token' ? await oidc.idToken(realm, iss, ar.clientId, user, f, access.token, access.exp, ar.nonce) : undefined;
    await engine.emit(realm, 'token.issued', { clientId: ar.clientId, grant: 'implicit', scope: ar.scope }, sid);
    return reply.header('cache-control', 'no-store').redirect(redirectWith(ar.redirectUri, 'fragment', {
      access_token: access.token, token_type: 'Bearer', expires_in: String(access.exp - access.iat), id_token: idToken, state: ar.state, session_state: sid, iss, scope: ar.scope,
    }), 302);
  }

  app.post('/realms/:realm/login-actions/authenticate', { config: { rateLimit: { groupId: 'password' } } }, async (req, reply) => {
    const realm = realmParam(req);
    const p = params(req);
    const str = (name: string, max = 256) => {
      const v = p[name];
      return typeof v === 'string' && v.length <= max ? v : '';
    };
    const rec = await loadLogin(realm, str('login', 64));
    if (!rec) {
      return pageHeaders(reply).code(400).send(messagePage(realm, 'Sign in', 'This sign-in page has expired or is unknown. Go back to the application and sign in again.', { alert: true }));
    }
    const browser = req.cookies[BROWSER_COOKIE];
    if (!browser || hashToken(browser) !== rec.b || !sameString(str('csrf', 100), rec.csrf)) {
      return pageHeaders(reply).code(403).send(messagePage(realm, 'Sign in', 'This form was not sent from its sign-in page (the request may have been forged). Go back to the application and sign in again.', { alert: true }));
    }
    const policy = await realms.policy(realm);
    const now = Date.now();
    const overall = now > rec.st + policy.loginTimeout * 1000;
    if (overall || now > rec.pa + policy.loginActionTimeout * 1000) {
      await redis.del(keys.oidcLogin(realm, rec.id));
      await engine.emit(realm, 'login.expired', { clientId: rec.req.clientId, reason: overall ? 'login_timeout' : 'login_action_timeout', step: rec.step });
      return newLogin(req, reply, realm, rec.req, LOGIN_TIMED_OUT);
    }

    if (rec.step === 'password') {
      const username = str('username', 64);
      const password = str('password', PASSWORD_MAX);
      if (!username || !password) return showPage(reply, realm, rec, { error: 'Enter your username and password.', username });
      let user: StoredUser;
      try {
        user = await login.authenticate({ ...originOf(req, rec), username, password });
      } catch (err) {
        if (!(err instanceof LoginFailure)) throw err;
        if (err.reason === 'rate_limited') {
          reply.header('retry-after', String(err.retryAfter));
          return showPage(reply, realm, rec, { error: 'Too many failed sign-in attempts. Wait a few minutes and try again.', username, status: 429 });
        }
        return showPage(reply, realm, rec, { error: err.reason === 'disabled' ? 'Account is disabled, contact your administrator.' : 'Invalid username or password.', username });
      }
      if (user.requiredActions.includes('UPDATE_PASSWORD')) {
        rec.step = 'update_password';
        rec.u = user.id;
        return showPage(reply, realm, rec);
      }
      return complete(req, reply, realm, rec, user);
    }

    // step: update_password
    const user = rec.u ? await users.byId(realm, rec.u) : null;
    if (!user || !user.enabled) {
      await redis.del(keys.oidcLogin(realm, rec.id));
      return pageHeaders(reply).code(400).send(messagePage(realm, 'Sign in', 'The account is no longer available.', { alert: true }));
    }
    const next = str('password-new', PASSWORD_MAX + 1);
    const confirm = str('password-confirm', PASSWORD_MAX + 1);
    if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX) return showPage(reply, realm, rec, { error: `The new password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long.` });
    if (next !== confirm) return showPage(reply, realm, rec, { error: 'The passwords do not match.' });
    if (await verifyPassword(user.passwordHash, next)) return showPage(reply, realm, rec, { error: 'The new password must be different from the current one.' });
    const { after } = await users.patch(realm, user.username, { password: next, requiredActions: user.requiredActions.filter((a) => a !== 'UPDATE_PASSWORD') });
    await engine.emit(realm, 'user.password_updated', { username: user.username, by: { username: user.username }, via: 'required_action' });
    return complete(req, reply, realm, rec, after);
  });

  // ---- identity brokering: sign in through an upstream provider (identity-providers.ts) ----
  const brokerPath = (realm: string, alias: string) => `/realms/${realm}/broker/${alias}`;
  const sorry = (reply: FastifyReply, realm: string, status: number, message: string) =>
    pageHeaders(reply).code(status).send(messagePage(realm, 'We are sorry…', message, { alert: true }));
  const sameBrowser = (req: FastifyRequest, rec: LoginRecord) => {
    const browser = req.cookies[BROWSER_COOKIE];
    return !!browser && hashToken(browser) === rec.b;
  };

  /** A free username for a first sign-in: the upstream's preferred one if it is valid and free. */
  async function freeUsername(realm: string, alias: string, preferred: string | null, subject: string): Promise<string> {
    const tries = [preferred, preferred && `${preferred}.${alias}`, `${alias}.${subject}`.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 64)];
    for (const t of tries) if (t && USERNAME.test(t) && !(await users.byUsername(realm, t))) return t;
    return `${alias}.${randomBytes(6).toString('hex')}`.slice(0, 64);
  }

  /** Sends the browser to the provider's authorization endpoint, keeping what the callback checks under its state. */
  async function toUpstream(req: FastifyRequest, reply: FastifyReply, realm: string, alias: string, rec: LoginRecord) {
    const policy = await realms.policy(realm);
    let a: Awaited<ReturnType<typeof oidc.identityProviders.authorizationUrl>>;
    try {
      a = await oidc.identityProviders.authorizationUrl(realm, alias, `${app.publicUrl()}${brokerPath(realm, alias)}/endpoint`);
    } catch (err) {
      req.log.warn({ alias, err: (err as Error).message }, 'identity provider unreachable');
      return sorry(reply, realm, 502, 'The identity provider cannot be reached. Try again later, or sign in with your password.');
    }
    if (!a) return sorry(reply, realm, 404, 'There is no such identity provider.');
    await redis.set(keys.brokerState(realm, a.state), JSON.stringify({ login: rec.id, alias, verifier: a.verifier, nonce: a.nonce }), 'PX', policy.loginActionTimeout * 1000);
    return reply.header('cache-control', 'no-store').redirect(a.url, 302);
  }

  app.get('/realms/:realm/broker/:alias/login', async (req, reply) => {
    const realm = realmParam(req);
    const { alias } = req.params as { alias: string };
    const rec = await loadLogin(realm, String((req.query as Record<string, unknown>).login ?? ''));
    if (!rec) return sorry(reply, realm, 400, 'This sign-in page has expired or is unknown. Go back to the application and sign in again.');
    if (!sameBrowser(req, rec)) return sorry(reply, realm, 403, 'This sign-in was started in another browser. Go back to the application and sign in again.');
    return toUpstream(req, reply, realm, alias, rec);
  });

  /**
   * The dashboard's sign-in through a provider: a form post from the dashboard (its Origin must
   * be allowed, as for POST /login) starts a login that ends in a console session and the
   * vigil_session cookie instead of a redirect to an OIDC client.
   */
  app.post('/realms/:realm/broker/:alias/console-login', {
    config: { rateLimit: { groupId: 'authorize', max: app.config.authorizationRequestsPerMinute, allowList: [] } },
  }, async (req, reply) => {
    const realm = realmParam(req);
    const { alias } = req.params as { alias: string };
    if (!req.headers.origin || !originAllowed(req.headers, originPolicy(app.config))) return sorry(reply, realm, 403, 'This sign-in was not started from the Vigil dashboard. Open the dashboard and sign in there.');
    if (!(await oidc.identityProviders.get(realm, alias))) return sorry(reply, realm, 404, 'There is no such identity provider.');
    const ar: AuthRequest = { clientId: '', redirectUri: '/', responseType: 'code', responseMode: 'query', scope: 'openid', offline: false, openid: true, console: true };
    const rec: LoginRecord = { id: randomBytes(18).toString('base64url'), req: ar, st: Date.now(), pa: Date.now(), csrf: randomBytes(24).toString('base64url'), b: hashToken(browserId(req, reply, realm)), step: 'password' };
    await saveLogin(realm, rec, (await realms.policy(realm)).loginTimeout);
    await engine.emit(realm, 'login.started', { clientId: null, console: true, alias, ip: req.ip });
    return toUpstream(req, reply, realm, alias, rec);
  });

  app.get('/realms/:realm/broker/:alias/endpoint', async (req, reply) => {
    const realm = realmParam(req);
    const { alias } = req.params as { alias: string };
    const q = req.query as Record<string, unknown>;
    const state = typeof q.state === 'string' && /^[\w-]{20,64}$/.test(q.state) ? q.state : '';
    const raw = state ? await redis.getdel(keys.brokerState(realm, state)) : null;
    const st = raw ? (JSON.parse(raw) as { login: string; alias: string; verifier: string; nonce: string }) : null;
    if (!st || st.alias !== alias) return sorry(reply, realm, 400, 'This sign-in has expired or was already completed. Go back to the application and sign in again.');
    const rec = await loadLogin(realm, st.login);
    if (!rec) return sorry(reply, realm, 400, 'This sign-in page has expired. Go back to the application and sign in again.');
    if (!sameBrowser(req, rec)) return sorry(reply, realm, 403, 'This sign-in was started in another browser. Go back to the application and sign in again.');
    const provider = await oidc.identityProviders.get(realm, alias);
    if (!provider) return sorry(reply, realm, 404, 'There is no such identity provider.');
    const name = provider.displayName;
    if (typeof q.error === 'string' || typeof q.code !== 'string') return showPage(reply, realm, rec, { error: `${name} did not sign you in${typeof q.error === 'string' ? ` (${q.error.slice(0, 100)})` : ''}.` });
    let identity: Awaited<ReturnType<typeof oidc.identityProviders.redeem>>;
    try {
      identity = await oidc.identityProviders.redeem(realm, alias, q.code, `${app.publicUrl()}${brokerPath(realm, alias)}/endpoint`, st.verifier, st.nonce);
    } catch (err) {
      req.log.warn({ alias, err: (err as Error).message }, 'brokered sign-in failed');
      return showPage(reply, realm, rec, { error: `Signing in through ${name} failed. Try again, or sign in with your password.` });
    }
    const linked = await users.byIdentity(realm, alias, identity.subject);
    if (linked) {
      if (!linked.enabled) return showPage(reply, realm, rec, { error: 'Account is disabled, contact your administrator.' });
      return complete(req, reply, realm, rec, linked);
    }
    const existing = identity.email ? await users.byEmail(realm, identity.email) : null;
    if (existing) {
      // the address is someone's account here: only the owner of that mailbox may link it
      if (existing.enabled && existing.email) await app.accountActions.sendIdpLink(realm, existing as StoredUser & { email: string }, { alias, name, sub: identity.subject });
      await redis.del(keys.oidcLogin(realm, rec.id));
      return pageHeaders(reply).send(messagePage(realm, 'Check your e-mail', `An account with the e-mail address of your ${name} account already exists here. We e-mailed that address a link: open it to link the two accounts, then sign in through ${name} again.`));
    }
    const policy = await realms.policy(realm);
    const user = await users.create(realm, {
      username: await freeUsername(realm, alias, identity.preferredUsername, identity.subject), password: randomBytes(32).toString('base64url'),
      ...(identity.email ? { email: identity.email, emailVerified: identity.emailVerified } : {}),
    }, policy.defaultTokenLifetime);
    await users.linkIdentity(realm, alias, identity.subject, user.id);
    await engine.emit(realm, 'identity_provider.user_created', { username: user.username, alias });
    await app.accountActions.addressSet(realm, user);
    return complete(req, reply, realm, rec, user);
  });
}
