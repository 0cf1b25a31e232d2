/**
 * Helpers for the OIDC tests: a relying party built on openid-client (a client nobody here
 * wrote), and a tiny "browser" that drives the server-rendered login pages over HTTP with
 * fetch, keeping cookies and following redirects by hand.
 */
import * as oc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';
import type { TestApp } from '../helpers/app.js';

export const REDIRECT = 'http://127.0.0.1:9/callback';

export async function createClient(t: TestApp, body: Record<string, unknown>, realm = 'default', token = t.adminToken): Promise<{ clientId: string; secret?: string }> {
  const r = await t.api('POST', `/api/v1/realms/${realm}/clients`, { token, body: { redirectUris: [REDIRECT], ...body } });
  if (r.status !== 201) throw new Error(`create client failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { clientId: r.body.client.clientId, secret: r.body.client.secret };
}

export async function relyingParty(t: TestApp, clientId: string, secret?: string, realm = 'default'): Promise<oc.Configuration> {
  return oc.discovery(new URL(`${t.url}/realms/${realm}`), clientId, secret, secret ? oc.ClientSecretPost(secret) : oc.None(), { execute: [oc.allowInsecureRequests] });
}

/** A cookie-keeping HTTP user agent. */
export class Browser {
  private cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(new URL(url, this.base), { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  }
}

export interface LoginForm {
  action: string;
  fields: Record<string, string>;
  html: string;
  status: number;
}

export function parseForm(html: string, status = 200): LoginForm {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  if (!action) throw new Error(`no login form in page (${status}): ${html.slice(0, 400)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!;
  return { action, fields, html, status };
}

/** Opens the authorization URL; returns the login form. */
export async function openLogin(b: Browser, authUrl: string | URL): Promise<LoginForm> {
  const res = await b.fetch(String(authUrl));
  const html = await res.text();
  if (res.status !== 200) throw new Error(`authorization page: ${res.status} ${res.headers.get('location') ?? html.slice(0, 300)}`);
  return parseForm(html, res.status);
}

/** Posts a login form; returns either the redirect (Location) or the next page. */
export async function submit(b: Browser, form: LoginForm, values: Record<string, string>): Promise<{ location?: string; page?: string; status: number }> {
  const res = await b.fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form.fields, ...values }).toString(),
  });
  const location = res.headers.get('location') ?? undefined;
  return { location, page: location ? undefined : await res.text(), status: res.status };
}

/** Code flow with PKCE through the login page; returns the callback URL and the checks. */
export async function authorize(t: TestApp, rp: oc.Configuration, user: { username: string; password: string }, extra: Record<string, string> = {}): Promise<{ callback: URL; verifier: string; state: string; nonce: string; browser: Browser }> {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, ...extra,
  });
  const b = new Browser(t.url);
  const form = await openLogin(b, url);
  const r = await submit(b, form, { username: user.username, password: user.password });
  if (!r.location) throw new Error(`login did not redirect: ${r.status} ${r.page?.slice(0, 500)}`);
  return { callback: new URL(r.location), verifier, state, nonce, browser: b };
}

/**
 * Signs a user in through the login page from an authorization request with exactly the given
 * parameters (plus PKCE S256), without openid-client filling anything in; returns the code.
 */
export async function loginForCode(t: TestApp, query: Record<string, string>, user: { username: string; password: string }, realm = 'default'): Promise<{ code: string; verifier: string; callback: URL }> {
  const verifier = oc.randomPKCECodeVerifier();
  const url = `${t.url}/realms/${realm}/protocol/openid-connect/auth?${new URLSearchParams({ response_type: 'code', scope: 'openid', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...query })}`;
  const b = new Browser(t.url);
  const r = await submit(b, await openLogin(b, url), user);
  if (!r.location) throw new Error(`login did not redirect: ${r.status} ${r.page?.slice(0, 500)}`);
  const callback = new URL(r.location);
  return { code: callback.searchParams.get('code')!, verifier, callback };
}

/** Full code flow: login page, then the code exchange by openid-client. */
export async function codeLogin(t: TestApp, rp: oc.Configuration, user: { username: string; password: string }, extra: Record<string, string> = {}) {
  const a = await authorize(t, rp, user, extra);
  const tokens = await oc.authorizationCodeGrant(rp, a.callback, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
  return { ...a, tokens };
}

export async function verifyJwt(t: TestApp, token: string, realm = 'default') {
  const jwks = createRemoteJWKSet(new URL(`${t.url}/realms/${realm}/protocol/openid-connect/certs`));
  return (await jwtVerify(token, jwks, { issuer: `${t.url}/realms/${realm}` })).payload;
}

/** Posts a form to an OIDC endpoint; returns status and parsed JSON. */
export async function form(t: TestApp, path: string, values: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(values).toString() });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

export const tokenPath = (realm = 'default') => `/realms/${realm}/protocol/openid-connect/token`;

export { decodeJwt, oc };

/** Polls until `check` returns a truthy value (no timing assertions: only "eventually"). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Reads the realm's event stream (every event so far) straight from Redis via the app. */
export async function streamEvents(t: TestApp, realm = 'default'): Promise<Array<{ name: string; sessionId: string | null; data: any }>> {
  const entries = (await t.app.redis.xrange(t.app.keys.events(realm), '-', '+')) as Array<[string, string[]]>;
  return entries.map(([, f]) => {
    const m: Record<string, string> = {};
    for (let i = 0; i < f.length; i += 2) m[f[i]!] = f[i + 1]!;
    return { name: m.n!, sessionId: m.s || null, data: JSON.parse(m.d || '{}') };
  });
}

/** How many login records (one per accepted authorization request) the realm holds in Redis. */
export async function loginRecords(t: TestApp, realm = 'default'): Promise<number> {
  const { redis, keys } = t.app;
  let n = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.oidcLogin(realm, '*'), 'COUNT', 1000);
    cursor = next;
    n += found.length;
  } while (cursor !== '0');
  return n;
}

export interface TestRealm {
  realm: string;
  /** a token of the realm's own admin */
  admin: string;
  user: { username: string; password: string };
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
}

let realmSeq = 0;
/** Creates a realm through the realms API with a policy, its admin, user `alice` and clients. */
export async function makeRealm(t: TestApp, policy: Record<string, unknown>, clients: Array<Record<string, unknown>> = []): Promise<TestRealm & { secrets: Record<string, string> }> {
  const realm = `r${process.pid % 1000}-${++realmSeq}`;
  const created = await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm, admin: { username: 'boss', password: 'boss-password' }, policy: { expiryPromptSeconds: 5, ...policy } } });
  if (created.status !== 201) throw new Error(`create realm failed: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await t.api('POST', `/api/v1/realms/${realm}/login`, { body: { username: 'boss', password: 'boss-password' } });
  const admin = login.body.token as string;
  const api = async (method: string, path: string, body?: unknown) => t.api(method, `/api/v1/realms/${realm}${path}`, { token: admin, body });
  const user = { username: 'alice', password: 'alice-password' };
  const u = await api('POST', '/users', { ...user, roles: ['user'] });
  if (u.status !== 201) throw new Error(`create user failed: ${JSON.stringify(u.body)}`);
  const secrets: Record<string, string> = {};
  for (const c of clients) {
    const r = await createClient(t, c, realm, admin);
    if (r.secret) secrets[r.clientId] = r.secret;
  }
  return { realm, admin, user, api, secrets };
}

/** Password grant as a direct-access client; returns the token response body. */
export async function passwordGrant(t: TestApp, realm: string, clientId: string, secret: string | undefined, user: { username: string; password: string }, scope = 'openid'): Promise<any> {
  const r = await form(t, tokenPath(realm), { grant_type: 'password', client_id: clientId, ...(secret ? { client_secret: secret } : {}), username: user.username, password: user.password, scope });
  if (r.status !== 200) throw new Error(`password grant failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function refreshGrant(t: TestApp, realm: string, clientId: string, secret: string | undefined, refreshToken: string) {
  return form(t, tokenPath(realm), { grant_type: 'refresh_token', client_id: clientId, ...(secret ? { client_secret: secret } : {}), refresh_token: refreshToken });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
