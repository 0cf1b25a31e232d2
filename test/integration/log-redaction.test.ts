/**
 * Logs never carry a token, code, password or id_token_hint (CONTRACT.md, VIGIL_LOG_LEVEL), not
 * even at debug, where Fastify logs every request with its URL: an RP-initiated logout puts an ID
 * token in the query, and clients put secrets in query strings by mistake. The real app, built
 * with VIGIL_LOG_LEVEL=debug and a logger stream the test reads, runs a whole code flow.
 */
import { inject, afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { bootstrap } from '../../server/bootstrap.js';
import { loadConfig } from '../../server/config.js';
import { deleteKeys, testPrefix, type TestApp } from '../helpers/app.js';
import { REDIRECT, codeLogin, createClient, oc, relyingParty } from './oidc-support.js';

const ADMIN_PASSWORD = 'admin-password-1';
const alice = { username: 'alice', password: 'alice-password-secret' };
const lines: string[] = [];
let app: FastifyInstance;
let t: TestApp;
const redisUrl = inject('redisUrl');
const prefix = testPrefix();

beforeAll(async () => {
  const config = loadConfig({ VIGIL_PORT: '0', VIGIL_REDIS_PREFIX: prefix, REDIS_URL: redisUrl, VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD, VIGIL_LOG_LEVEL: 'debug', VIGIL_ROLE: 'api' });
  app = await buildApp({ config, redisUrl, logger: { level: 'debug', stream: { write: (s: string) => void lines.push(s) } } });
  await bootstrap(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const api: TestApp['api'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const full = path.startsWith('/api/') || path.startsWith('/realms/') ? `${url}${path}` : `${url}/api/v1/realms/default${path}`;
    const res = await fetch(full, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const login = await api('POST', '/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  // the helpers of oidc-support need only these
  t = { app, url, api, adminToken: login.body.token } as unknown as TestApp;
});
afterAll(async () => {
  await app?.close();
  await deleteKeys(redisUrl, prefix);
});

describe('logs at debug level', () => {
  it('carry no code, token, password, client secret or id_token_hint through a whole code flow and a logout', async () => {
    expect((await t.api('POST', '/users', { token: t.adminToken, body: { ...alice, roles: ['user'] } })).status).toBe(201);
    const { secret } = await createClient(t, { clientId: 'webapp', publicClient: false, directAccessGrantsEnabled: true, redirectUris: [REDIRECT] });
    const rp = await relyingParty(t, 'webapp', secret);
    const { tokens, callback } = await codeLogin(t, rp, alice);
    const code = callback.searchParams.get('code')!;
    const refreshed = await oc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect((await t.api('GET', '/me', { token: tokens.access_token })).status).toBe(200);
    await oc.fetchUserInfo(rp, refreshed.access_token, tokens.claims()!.sub);
    const base = `${t.url}/realms/default/protocol/openid-connect`;
    // secrets in query strings, as misconfigured clients send them: every one reaches a request log line
    await fetch(`${t.url}/callback?code=${code}&state=visible-state`);
    await fetch(`${base}/userinfo?access_token=${refreshed.access_token}`);
    await fetch(`${base}/token?grant_type=password&client_id=webapp&client_secret=${secret}&username=alice&password=${alice.password}`);
    await fetch(`${base}/revoke?token=${refreshed.refresh_token}&refresh_token=${tokens.refresh_token}`);
    const logout = await fetch(oc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: REDIRECT, state: 'bye' }), { redirect: 'manual' });
    expect(logout.status).toBe(302);
    await new Promise((r) => setTimeout(r, 100)); // let the logger flush the last lines

    const log = lines.join('');
    // the requests were logged (the test would prove nothing otherwise), with the secrets' values redacted
    expect(log).toContain('id_token_hint=[REDACTED]');
    expect(log).toContain('/callback?code=[REDACTED]&state=visible-state');
    expect(log).toContain('access_token=[REDACTED]');
    expect(log).toContain('client_secret=[REDACTED]');
    expect(log).toContain('password=[REDACTED]');
    expect(log).toContain('state=bye');
    const secrets = {
      code, secret, adminPassword: ADMIN_PASSWORD, password: alice.password, adminToken: t.adminToken,
      accessToken: tokens.access_token, idToken: tokens.id_token, refreshToken: tokens.refresh_token,
      refreshedAccess: refreshed.access_token, refreshedRefresh: refreshed.refresh_token,
    };
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, inLog: log.includes(String(value)) }).toEqual({ name, inLog: false });
      // a JWT's signature alone would do too
      if (String(value).split('.').length === 3) expect({ name, inLog: log.includes(String(value).split('.')[2]!) }).toEqual({ name, inLog: false });
    }
  });
});
