/**
 * Password attempts (CONTRACT.md, "Password attempts"): the limit is reserved before a password
 * is checked, failures count per username and client address, and REST /login, the OIDC login
 * form and the password grant share one budget per address. Clients at other addresses are real
 * connections from 127.0.0.2 (Linux routes all of 127/8 to loopback).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Browser, REDIRECT, makeRealm, oc, openLogin, submit, tokenPath } from './oidc-support.js';

// the per-minute @fastify/rate-limit on the OIDC password routes is a separate, coarser limit
const ENV = { VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '1000' };
const direct = { clientId: 'app', publicClient: true, directAccessGrantsEnabled: true, redirectUris: [REDIRECT] };

let t: TestApp;
let proxied: TestApp;
beforeAll(async () => {
  [t, proxied] = await Promise.all([startTestApp({ env: ENV }), startTestApp({ env: { ...ENV, VIGIL_TRUST_PROXY: '127.0.0.1' } })]);
});
afterAll(async () => {
  await t?.close();
  await proxied?.close();
});

interface Answer { status: number; body: any; headers: http.IncomingHttpHeaders }

/** One request over its own connection, optionally from another local address. */
function send(app: TestApp, path: string, o: { from?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> }): Promise<Answer> {
  const body = o.form ? new URLSearchParams(o.form).toString() : JSON.stringify(o.json);
  const u = new URL(path, app.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent: false, localAddress: o.from,
      headers: { 'content-type': o.form ? 'application/x-www-form-urlencoded' : 'application/json', 'content-length': Buffer.byteLength(body), ...o.headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch { /* a page */ }
        resolve({ status: res.statusCode!, body: parsed, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const restLogin = (app: TestApp, realm: string, username: string, password: string, o: { from?: string; headers?: Record<string, string> } = {}) =>
  send(app, `/api/v1/realms/${realm}/login`, { ...o, json: { username, password } });

const grant = (app: TestApp, realm: string, username: string, password: string, from?: string) =>
  send(app, tokenPath(realm), { from, form: { grant_type: 'password', client_id: 'app', username, password, scope: 'openid' } });

async function loginPage(app: TestApp, realm: string) {
  const b = new Browser(app.url);
  const challenge = await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier());
  const url = `${app.url}/realms/${realm}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'app', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`;
  return { b, form: await openLogin(b, url) };
}

function expectRefused(a: Answer) {
  expect(a.status).toBe(429);
  const retryAfter = Number(a.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(900);
}

describe('an attempt is counted before its password is checked', () => {
  it('40 parallel wrong passwords for one user: at most 10 are checked, the rest get 429 with Retry-After', async () => {
    const r = await makeRealm(t, {}, []);
    const checked = vi.spyOn(t.app.login, 'verifyPassword');
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => restLogin(t, r.realm, 'alice', `wrong-password-${i}`)));
      const wrong = answers.filter((a) => a.status === 401);
      const refused = answers.filter((a) => a.status === 429);
      expect(wrong.length).toBeGreaterThan(0);
      expect(wrong.length).toBeLessThanOrEqual(10);
      expect(wrong.length + refused.length).toBe(40);
      for (const a of wrong) expect(a.body.code).toBe('VIGIL_ERR_INVALID_CREDENTIALS');
      for (const a of refused) {
        expectRefused(a);
        expect(a.body.code).toBe('VIGIL_ERR_RATE_LIMITED');
      }
      expect(checked.mock.calls.length).toBe(wrong.length);
    } finally {
      checked.mockRestore();
    }
  });

  it('the same holds for the password grant', async () => {
    const r = await makeRealm(t, {}, [direct]);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => grant(t, r.realm, 'alice', `wrong-password-${i}`)));
    const wrong = answers.filter((a) => a.status === 401);
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong.length).toBeLessThanOrEqual(10);
    const refused = answers.filter((a) => a.status === 429);
    expect(wrong.length + refused.length).toBe(40);
    for (const a of refused) {
      expectRefused(a);
      expect(a.body.error).toBe('invalid_grant');
    }
  });
});

describe('failures count per user and address, so nobody can lock another person out', () => {
  it('a user whose password was guessed wrong 10 times from one address still signs in from another', async () => {
    const r = await makeRealm(t, {}, []);
    for (let i = 0; i < 10; i++) expect((await restLogin(t, r.realm, 'alice', `wrong-password-${i}`)).status).toBe(401);
    expectRefused(await restLogin(t, r.realm, 'alice', 'alice-password'));
    const elsewhere = await restLogin(t, r.realm, 'alice', 'alice-password', { from: '127.0.0.2' });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.session.origin.ip).toBe('127.0.0.2');
  });

  it('REST /login, the login form and the password grant share one budget per address', async () => {
    const r = await makeRealm(t, {}, [direct]);
    for (let i = 0; i < 5; i++) expect((await restLogin(t, r.realm, 'alice', `wrong-password-${i}`)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await grant(t, r.realm, 'alice', `wrong-password-${i}`)).status).toBe(401);
    // the 11th attempt, on the form and with the right password, is refused
    const { b, form } = await loginPage(t, r.realm);
    const refused = await submit(b, form, r.user);
    expect(refused.status).toBe(429);
    expect(refused.location).toBeUndefined();
    expect(refused.page).toMatch(/role="alert"[^>]*>Too many failed sign-in attempts/);
    expectRefused(await grant(t, r.realm, 'alice', 'alice-password'));
    // the user's own budget at another address is untouched
    expect((await grant(t, r.realm, 'alice', 'alice-password', '127.0.0.2')).status).toBe(200);
  });

  it('a successful sign-in clears the failures of that user at that address', async () => {
    const r = await makeRealm(t, {}, []);
    for (let i = 0; i < 9; i++) expect((await restLogin(t, r.realm, 'alice', `wrong-password-${i}`)).status).toBe(401);
    expect((await restLogin(t, r.realm, 'alice', 'alice-password')).status).toBe(201);
    for (let i = 0; i < 9; i++) expect((await restLogin(t, r.realm, 'alice', `wrong-again-${i}`)).status).toBe(401);
    expect((await restLogin(t, r.realm, 'alice', 'alice-password')).status).toBe(201);
  });

  it('an address trying many usernames is stopped after 100 failures; other addresses are not, nor people who signed in from it before', async () => {
    const r = await makeRealm(t, {}, []);
    expect((await r.api('POST', '/users', { username: 'newbie', password: 'newbie-password' })).status).toBe(201);
    expect((await restLogin(t, r.realm, 'alice', 'alice-password')).status).toBe(201); // alice signs in here every day
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => restLogin(t, r.realm, `sprayed-${batch}-${i}`, 'Summer2026!')));
      for (const a of answers) expect(a.status).toBe(401);
    }
    expectRefused(await restLogin(t, r.realm, 'sprayed-new', 'Summer2026!'));
    expectRefused(await restLogin(t, r.realm, 'newbie', 'newbie-password')); // new to this address: waits for the window
    expect((await restLogin(t, r.realm, 'alice', 'alice-password', { from: '127.0.0.2' })).status).toBe(201);
    // a familiar address: alice still signs in from it, within her own budget there
    expect((await restLogin(t, r.realm, 'alice', 'alice-password')).status).toBe(201);
    for (let i = 0; i < 10; i++) expect((await restLogin(t, r.realm, 'alice', `guess-${i}`)).status).toBe(401);
    expectRefused(await restLogin(t, r.realm, 'alice', 'alice-password'));
  });
});

describe('the client address behind a proxy (VIGIL_TRUST_PROXY)', () => {
  it('with a trusted proxy, two clients behind it have separate budgets and their own session origin', async () => {
    const r = await makeRealm(proxied, {}, []);
    const fromA = { headers: { 'x-forwarded-for': '203.0.113.1' } };
    for (let i = 0; i < 10; i++) expect((await restLogin(proxied, r.realm, 'alice', `wrong-password-${i}`, fromA)).status).toBe(401);
    expectRefused(await restLogin(proxied, r.realm, 'alice', 'alice-password', fromA));
    const b = await restLogin(proxied, r.realm, 'alice', 'alice-password', { headers: { 'x-forwarded-for': '203.0.113.2' } });
    expect(b.status).toBe(201);
    expect(b.body.session.origin.ip).toBe('203.0.113.2');
  });

  it('without VIGIL_TRUST_PROXY, X-Forwarded-For is ignored: a forged one does not buy a fresh budget', async () => {
    const r = await makeRealm(t, {}, []);
    for (let i = 0; i < 10; i++) {
      expect((await restLogin(t, r.realm, 'alice', `wrong-password-${i}`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status).toBe(401);
    }
    expectRefused(await restLogin(t, r.realm, 'alice', 'alice-password', { headers: { 'x-forwarded-for': '198.51.100.77' } }));
  });
});
