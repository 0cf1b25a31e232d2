/**
 * Identity brokering against a second realm of the same server as the upstream provider: the
 * sign-in page offers it; a first sign-in through it creates the user; one whose e-mail is an
 * existing user's gets the idp-verify-account-via-email link instead (by real SMTP), and once
 * that link is used, signing in through the provider signs in as that user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TestSmtp } from '../helpers/smtp.js';
import { claimsOf, postLink, userWithEmail } from '../helpers/action-links.js';
import { parseForm } from './oidc-support.js';

/** A browser's cookie jar, by name and path: two realms' login cookies have one name and two paths. */
class Browser {
  private cookies = new Map<string, { name: string; value: string; path: string }>();
  constructor(readonly base: string) {}
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url, this.base);
    const headers = new Headers(init.headers);
    const sent = [...this.cookies.values()].filter((c) => u.pathname.startsWith(c.path));
    if (sent.length) headers.set('cookie', sent.map((c) => `${c.name}=${c.value}`).join('; '));
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';').map((x) => x.trim());
      const i = pair!.indexOf('=');
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      this.cookies.set(`${pair!.slice(0, i)} ${path}`, { name: pair!.slice(0, i), value: pair!.slice(i + 1), path });
    }
    return res;
  }
}

let t: TestApp;
const smtp = new TestSmtp();
const CALLBACK = 'http://127.0.0.1:9/app-callback';
let upstreamAdmin = '';

beforeAll(async () => {
  await smtp.start();
  t = await startTestApp({ env: { VIGIL_SMTP_URL: smtp.url } });
  // the upstream: realm "upstream" of the same server, with a confidential client for realm default's broker
  expect((await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm: 'upstream', admin: { username: 'root', password: 'root-password' } } })).status).toBe(201);
  upstreamAdmin = (await t.api('POST', '/api/v1/realms/upstream/login', { body: { username: 'root', password: 'root-password' } })).body.token;
  const client = await t.api('POST', '/api/v1/realms/upstream/clients', { token: upstreamAdmin, body: { clientId: 'default-broker', redirectUris: [`${t.url}/realms/default/broker/up/endpoint`] } });
  expect(client.status).toBe(201);
  for (const [username, email] of [['ursula', 'ursula@up.test'], ['vera', 'vera@example.test']]) {
    expect((await t.api('POST', '/api/v1/realms/upstream/users', { token: upstreamAdmin, body: { username, password: `${username}-upstream`, email, emailVerified: true } })).status).toBe(201);
  }
  // realm default: an application, and the upstream as identity provider "up"
  expect((await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'app', publicClient: true, redirectUris: [CALLBACK] } })).status).toBe(201);
  const idp = await t.api('POST', '/identity-providers', { token: t.adminToken, body: { alias: 'up', displayName: 'Upstream', issuer: `${t.url}/realms/upstream`, clientId: 'default-broker', clientSecret: client.body.client.secret } });
  expect(idp.status).toBe(201);
  expect(idp.body.identityProvider).toEqual({ alias: 'up', displayName: 'Upstream', issuer: `${t.url}/realms/upstream`, clientId: 'default-broker', createdAt: expect.any(String) });
});
afterAll(async () => {
  await t?.close();
  await smtp.stop();
});

/** From the application's authorization request, through "Upstream" on the login page and the upstream's own login, back to realm default. */
async function brokeredLogin(b: Browser, username: string, password: string): Promise<Response> {
  const verifier = randomBytes(32).toString('base64url');
  const auth = `${t.url}/realms/default/protocol/openid-connect/auth?${new URLSearchParams({
    client_id: 'app', response_type: 'code', redirect_uri: CALLBACK, scope: 'openid', state: 'st-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })}`;
  const page = await (await b.fetch(auth)).text();
  const href = /<a class="provider" href="([^"]+)">Upstream<\/a>/.exec(page)?.[1]?.replace(/&amp;/g, '&');
  expect(href, 'the login page offers the provider').toBeTruthy();
  const toUpstream = await b.fetch(href!);
  expect(toUpstream.status).toBe(302);
  const upstreamAuth = toUpstream.headers.get('location')!;
  expect(upstreamAuth.startsWith(`${t.url}/realms/upstream/protocol/openid-connect/auth?`)).toBe(true);
  const form = parseForm(await (await b.fetch(upstreamAuth)).text());
  const signedIn = await b.fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...form.fields, username, password }).toString() });
  const back = signedIn.headers.get('location')!;
  expect(back.startsWith(`${t.url}/realms/default/broker/up/endpoint?`)).toBe(true);
  return b.fetch(back);
}

/** The dashboard's "Sign in with …": a form post from the dashboard's origin, the upstream's login, back to realm default. */
async function consoleLogin(b: Browser, username: string, password: string): Promise<Response> {
  const toUpstream = await b.fetch('/realms/default/broker/up/console-login', { method: 'POST', headers: { origin: t.url } });
  expect(toUpstream.status).toBe(302);
  const form = parseForm(await (await b.fetch(toUpstream.headers.get('location')!)).text());
  const signedIn = await b.fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...form.fields, username, password }).toString() });
  return b.fetch(signedIn.headers.get('location')!);
}

const sessionsOf = async (username: string) => (await t.api('GET', `/sessions?user=${username}`, { token: t.adminToken })).body.sessions as Array<{ kind: string; clientId: string }>;

describe('identity providers', () => {
  it('are managed by admins, the client secret never shown', async () => {
    const list = await t.api('GET', '/identity-providers', { token: t.adminToken });
    expect(list.body.identityProviders.map((p: { alias: string }) => p.alias)).toEqual(['up']);
    expect(JSON.stringify(list.body)).not.toContain('secret');
    expect((await t.api('POST', '/identity-providers', { token: t.adminToken, body: { alias: 'up', issuer: 'https://x.example', clientId: 'c', clientSecret: 's' } })).status).toBe(409);
    expect((await t.api('POST', '/identity-providers', { token: t.adminToken, body: { alias: 'bad', issuer: 'not a url', clientId: 'c', clientSecret: 's' } })).body.message).toMatch(/^issuer must be/);
    const viewer = await t.createUser('ivan', { roles: ['viewer'] });
    const v = await t.login(viewer.username, viewer.password);
    expect((await t.api('GET', '/identity-providers', { token: v.token })).status).toBe(403);
  });

  it('a first sign-in through the provider creates the user and completes the application\'s sign-in', async () => {
    const done = await brokeredLogin(new Browser(t.url), 'ursula', 'ursula-upstream');
    expect(done.status).toBe(302);
    const cb = new URL(done.headers.get('location')!);
    expect(`${cb.origin}${cb.pathname}`).toBe(CALLBACK);
    expect(cb.searchParams.get('code')).toBeTruthy();
    expect(cb.searchParams.get('state')).toBe('st-1');
    expect((await t.api('GET', '/users/ursula', { token: t.adminToken })).body.user).toMatchObject({ email: 'ursula@up.test', emailVerified: true, roles: ['user'] });
    expect(await sessionsOf('ursula')).toEqual([expect.objectContaining({ kind: 'sso', clientId: 'app' })]);

    // the second time it signs in as the same user, creating no other
    const again = await brokeredLogin(new Browser(t.url), 'ursula', 'ursula-upstream');
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    expect((await t.api('GET', '/users', { token: t.adminToken })).body.users.filter((u: { email?: string }) => u.email === 'ursula@up.test')).toHaveLength(1);
    expect(await sessionsOf('ursula')).toHaveLength(2);
  });

  it('an e-mail that is an existing user\'s is linked only through the link mailed to that user', async () => {
    await userWithEmail(t, 'vera-local', 'vera@example.test');
    const first = await brokeredLogin(new Browser(t.url), 'vera', 'vera-upstream');
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('We e-mailed that address a link');
    expect(await sessionsOf('vera-local')).toEqual([]);
    expect((await t.api('GET', '/users/vera', { token: t.adminToken })).status).toBe(404);

    const mail = await smtp.next('vera@example.test');
    expect(mail.subject).toBe('Link your Upstream account');
    const c = claimsOf(mail.link!);
    const policy = (await t.api('GET', '/policy', { token: t.adminToken })).body.policy;
    expect([c.op, c.exp - c.iat]).toEqual(['idp-verify-account-via-email', (policy.userActionLifespanOverrides['idp-verify-account-via-email'] ?? policy.userActionLifespan) * 1000]);
    const linked = await postLink(mail.link!);
    expect(linked.status).toBe(200);
    expect(linked.html).toContain('Your Upstream account is linked');

    const second = await brokeredLogin(new Browser(t.url), 'vera', 'vera-upstream');
    expect(second.status).toBe(302);
    expect(new URL(second.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    expect(await sessionsOf('vera-local')).toEqual([expect.objectContaining({ kind: 'sso', clientId: 'app' })]);
    expect((await t.api('GET', '/users/vera', { token: t.adminToken })).status).toBe(404);
  });

  it('an admin changes a provider; a secret left out is kept, so sign-in through it still works', async () => {
    const changed = await t.api('PATCH', '/identity-providers/up', { token: t.adminToken, body: { displayName: 'Upstream realm' } });
    expect(changed.status).toBe(200);
    expect(changed.body.identityProvider).toMatchObject({ alias: 'up', displayName: 'Upstream realm', clientId: 'default-broker' });
    expect((await t.api('PATCH', '/identity-providers/up', { token: t.adminToken, body: { issuer: 'ftp://x' } })).body.message).toMatch(/^issuer must be/);
    expect((await t.api('PATCH', '/identity-providers/nope', { token: t.adminToken, body: { displayName: 'x' } })).status).toBe(404);
    const viewer = await t.createUser('ivy', { roles: ['viewer'] });
    const v = await t.login(viewer.username, viewer.password);
    expect((await t.api('PATCH', '/identity-providers/up', { token: v.token, body: { displayName: 'x' } })).status).toBe(403);
    // the kept secret still redeems the upstream's code
    const done = await consoleLogin(new Browser(t.url), 'ursula', 'ursula-upstream');
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/');
    expect((await t.api('PATCH', '/identity-providers/up', { token: t.adminToken, body: { displayName: 'Upstream' } })).status).toBe(200);
  });

  it('lists the providers to sign in with to anyone, without their configuration', async () => {
    const r = await t.api('GET', '/login/identity-providers');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ identityProviders: [{ alias: 'up', displayName: 'Upstream' }] });
  });

  it('signs in to the dashboard through a provider: a console session and its cookie', async () => {
    const b = new Browser(t.url);
    const done = await consoleLogin(b, 'ursula', 'ursula-upstream');
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/');
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith('vigil_session='));
    expect(cookie).toMatch(/HttpOnly/i);
    const me = await b.fetch('/api/v1/realms/default/me');
    expect(me.status).toBe(200);
    const body = (await me.json()) as { user: { username: string }; session: { kind: string } };
    expect([body.user.username, body.session.kind]).toEqual(['ursula', 'console']);
  });

  it('refuses a dashboard sign-in through a provider posted from another site', async () => {
    for (const origin of ['https://evil.example', undefined]) {
      const r = await new Browser(t.url).fetch('/realms/default/broker/up/console-login', { method: 'POST', headers: origin ? { origin } : {} });
      expect(r.status).toBe(403);
      expect(await r.text()).toContain('not started from the Vigil dashboard');
    }
    expect((await new Browser(t.url).fetch('/realms/default/broker/nope/console-login', { method: 'POST', headers: { origin: t.url } })).status).toBe(404);
  });

  it('refuses a callback whose state it did not make', async () => {
    const r = await new Browser(t.url).fetch(`${t.url}/realms/default/broker/up/endpoint?code=x&state=${'a'.repeat(32)}`);
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('expired or was already completed');
  });

  it('an admin sees a user\'s link and removes it: signing in through the provider then no longer signs in as them', async () => {
    const links = await t.api('GET', '/users/vera-local/identity-links', { token: t.adminToken });
    expect(links.body).toEqual({ identityLinks: [{ alias: 'up', subject: expect.any(String) }] });
    const iris = await t.createUser('iris', { roles: ['viewer'] });
    const viewer = await t.login(iris.username, iris.password);
    expect((await t.api('DELETE', '/users/vera-local/identity-links/up', { token: viewer.token })).status).toBe(403);

    expect((await t.api('DELETE', '/users/vera-local/identity-links/up', { token: t.adminToken })).status).toBe(204);
    expect((await t.api('DELETE', '/users/vera-local/identity-links/up', { token: t.adminToken })).status).toBe(404);
    expect((await t.api('GET', '/users/vera-local/identity-links', { token: t.adminToken })).body.identityLinks).toEqual([]);
    const before = (await sessionsOf('vera-local')).length;
    const again = await brokeredLogin(new Browser(t.url), 'vera', 'vera-upstream');
    expect(await again.text()).toContain('We e-mailed that address a link');
    expect(await sessionsOf('vera-local')).toHaveLength(before);
    await smtp.next('vera@example.test');
  });

  it('removing a provider removes its links: one added again under the same alias signs no one in as them', async () => {
    expect((await t.api('GET', '/users/ursula/identity-links', { token: t.adminToken })).body.identityLinks).toHaveLength(1);
    const secret = (await t.api('POST', '/api/v1/realms/upstream/clients', { token: upstreamAdmin, body: { clientId: 'default-broker-2', redirectUris: [`${t.url}/realms/default/broker/up/endpoint`] } })).body.client.secret;
    expect((await t.api('DELETE', '/identity-providers/up', { token: t.adminToken })).status).toBe(204);
    expect((await t.api('GET', '/users/ursula/identity-links', { token: t.adminToken })).body.identityLinks).toEqual([]);
    expect((await t.api('POST', '/identity-providers', { token: t.adminToken, body: { alias: 'up', displayName: 'Upstream', issuer: `${t.url}/realms/upstream`, clientId: 'default-broker-2', clientSecret: secret } })).status).toBe(201);
    const before = (await sessionsOf('ursula')).length;
    const r = await brokeredLogin(new Browser(t.url), 'ursula', 'ursula-upstream');
    // ursula's address is an existing user's: linking again needs the mailed link
    expect(await r.text()).toContain('We e-mailed that address a link');
    expect(await sessionsOf('ursula')).toHaveLength(before);
    await smtp.next('ursula@up.test');
  });
});
