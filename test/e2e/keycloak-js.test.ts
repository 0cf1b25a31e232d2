/**
 * Keycloak's own JavaScript adapter (keycloak-js, unmodified from node_modules) signs a page in
 * against Vigil in Chromium — login-required, PKCE S256, the page on another origin than Vigil
 * (so the code exchange and refresh are real CORS requests) — and refreshes its token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { launch, screenshot } from './browser.js';
import { decodeJwt, streamEvents } from '../integration/oidc-support.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KEYCLOAK_JS = readFileSync(path.join(repo, 'node_modules', 'keycloak-js', 'lib', 'keycloak.js'), 'utf8');

let t: TestApp;
let site: Server;
let siteUrl: string;
let browser: Browser;

const page = (vigil: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kc test app</title></head>
<body><p id="status">starting</p>
<script type="module">
import Keycloak from './keycloak.js';
const kc = new Keycloak({ url: ${JSON.stringify(vigil)}, realm: 'default', clientId: 'kjs' });
window.kc = kc;
try {
  const authenticated = await kc.init({ onLoad: 'login-required', pkceMethod: 'S256', checkLoginIframe: false });
  window.kcState = { authenticated, token: kc.token, refreshToken: kc.refreshToken, idToken: kc.idToken, sid: kc.tokenParsed && kc.tokenParsed.sid, username: kc.tokenParsed && kc.tokenParsed.preferred_username };
  document.getElementById('status').textContent = authenticated ? 'signed in' : 'not signed in';
} catch (e) {
  window.kcState = { error: String(e && (e.message || e.error || e)) };
  document.getElementById('status').textContent = 'error';
}
</script></body></html>`;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('kate', { password: 'kate-password' });
  site = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/keycloak.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(KEYCLOAK_JS);
    if (url === '/app.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(page(t.url));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  // "localhost" is another origin than Vigil's 127.0.0.1, and still a secure context for Web Crypto
  siteUrl = `http://localhost:${(site.address() as { port: number }).port}`;
  const c = await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'kjs', publicClient: true, redirectUris: [`${siteUrl}/app.html`] } });
  expect(c.status).toBe(201);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => site?.close(r));
  await t?.close();
});

describe('keycloak-js against Vigil', () => {
  it('signs in with login-required + PKCE through the Vigil login page, then refreshes its token', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${siteUrl}/app.html`);
    // keycloak-js sends the browser to Vigil's authorization endpoint: the server-rendered login page
    await p.getByLabel('Username').waitFor();
    expect(p.url()).toContain('/realms/default/protocol/openid-connect/auth');
    expect(p.url()).toContain('code_challenge_method=S256');
    await screenshot(p, 'oidc-login');
    // a wrong password is announced in role="alert" and the form stays usable
    await p.getByLabel('Username').fill('kate');
    await p.getByLabel('Password').fill('not-her-password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').waitFor();
    expect(await p.getByRole('alert').textContent()).toContain('Invalid username or password.');
    await screenshot(p, 'oidc-login-error');
    await p.getByLabel('Username').fill('kate');
    await p.getByLabel('Password').fill('kate-password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForFunction(() => (window as unknown as { kcState?: unknown }).kcState, null, { timeout: 30_000 });
    const state = await p.evaluate(() => (window as unknown as { kcState: Record<string, string | boolean> }).kcState);
    expect(state.error).toBeUndefined();
    expect(state.authenticated).toBe(true);
    expect(state.username).toBe('kate');
    const sid = String(state.sid);
    const s = await t.api('GET', `/sessions/${sid}`, { token: t.adminToken });
    expect(s.body.session).toMatchObject({ kind: 'sso', clientId: 'kjs' });

    const refreshed = await p.evaluate(async () => {
      const kc = (window as unknown as { kc: { updateToken(n: number): Promise<boolean>; token: string; refreshToken: string } }).kc;
      const ok = await kc.updateToken(-1);
      return { ok, token: kc.token, refreshToken: kc.refreshToken };
    });
    expect(refreshed.ok).toBe(true);
    expect(refreshed.token).not.toBe(state.token);
    expect(decodeJwt(refreshed.token).sid).toBe(sid);
    expect((await streamEvents(t)).some((e) => e.name === 'token.refreshed' && e.sessionId === sid)).toBe(true);
    // the token the adapter holds authenticates against Vigil's own API as that session
    expect((await t.api('GET', '/me', { token: refreshed.token })).body.session.id).toBe(sid);
    await ctx.close();
  });
});
