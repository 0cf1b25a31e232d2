/**
 * The login pages: Login timeout and Login action timeout, a required action that makes a
 * login span two pages, CSRF protection, accessible errors, password rate limits, and RFC 6749
 * errors for bad input on every endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Browser, REDIRECT, form, loginRecords, makeRealm, oc, openLogin, parseForm, passwordGrant, sleep, streamEvents, submit, tokenPath } from './oidc-support.js';


let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '12' } });
});
afterAll(async () => t?.close());

const spa = { clientId: 'spa', publicClient: true, directAccessGrantsEnabled: true };

async function authUrl(realm: string): Promise<string> {
  const challenge = await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier());
  return `${t.url}/realms/${realm}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'spa', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 'st' })}`;
}

describe('the login page', () => {
  it('is accessible: labelled inputs, a language, and errors in role="alert"', async () => {
    const r = await makeRealm(t, {}, [spa]);
    const b = new Browser(t.url);
    const f = await openLogin(b, await authUrl(r.realm));
    expect(f.html).toContain('<html lang="en">');
    expect(f.html).toContain('<label for="username">');
    expect(f.html).toContain('<label for="password">');
    expect(f.html).toContain(':focus-visible');
    const bad = await submit(b, f, { username: 'alice', password: 'wrong-password' });
    expect(bad.location).toBeUndefined();
    expect(bad.page).toMatch(/role="alert"[^>]*>Invalid username or password\./);
    const events = await streamEvents(t, r.realm);
    expect(events.some((e) => e.name === 'login.started')).toBe(true);
    expect(events.some((e) => e.name === 'login.failed' && e.data.username === 'alice')).toBe(true);
    const ok = await submit(b, parseForm(bad.page!), r.user);
    expect(ok.status).toBe(302);
    expect(new URL(ok.location!).searchParams.get('code')).toBeTruthy();
  });

  it('refuses a form post without its CSRF token or from another browser', async () => {
    const r = await makeRealm(t, {}, [spa]);
    const b = new Browser(t.url);
    const f = await openLogin(b, await authUrl(r.realm));
    const forged = await submit(b, { ...f, fields: { ...f.fields, csrf: 'forged' } }, r.user);
    expect(forged.status).toBe(403);
    expect(forged.location).toBeUndefined();
    const otherBrowser = await submit(new Browser(t.url), f, r.user);
    expect(otherBrowser.status).toBe(403);
    expect(otherBrowser.location).toBeUndefined();
  });
});

describe('Login timeout and Login action timeout', () => {
  it('Login timeout bounds the whole login: the user is told it timed out and starts again', async () => {
    const r = await makeRealm(t, { loginTimeout: 3, loginActionTimeout: 300 }, [spa]);
    const b = new Browser(t.url);
    const f = await openLogin(b, await authUrl(r.realm));
    await sleep(3500);
    const late = await submit(b, f, r.user);
    expect(late.location).toBeUndefined();
    expect(late.page).toMatch(/role="alert"[^>]*>Your login attempt timed out\. Login will start from the beginning\./);
    expect((await streamEvents(t, r.realm)).find((e) => e.name === 'login.expired')?.data.reason).toBe('login_timeout');
    // starting again works
    const again = await submit(b, parseForm(late.page!), r.user);
    expect(again.status).toBe(302);
    expect(new URL(again.location!).searchParams.get('state')).toBe('st');
  });

  it('Login action timeout bounds each page, including the second page of a login', async () => {
    const r = await makeRealm(t, { loginTimeout: 1800, loginActionTimeout: 2 }, [spa]);
    expect((await r.api('PATCH', '/users/alice', { requiredActions: ['UPDATE_PASSWORD'] })).status).toBe(200);
    const b = new Browser(t.url);
    const first = await openLogin(b, await authUrl(r.realm));
    await sleep(2500);
    const late = await submit(b, first, r.user);
    expect(late.page).toContain('Your login attempt timed out');
    const restarted = parseForm(late.page!);
    const second = await submit(b, restarted, r.user);
    expect(second.page).toContain('Update password');
    await sleep(2500);
    const lateSecond = await submit(b, parseForm(second.page!), { 'password-new': 'brand-new-pass', 'password-confirm': 'brand-new-pass' });
    expect(lateSecond.page).toContain('Your login attempt timed out');
    const expired = (await streamEvents(t, r.realm)).filter((e) => e.name === 'login.expired').map((e) => [e.data.reason, e.data.step]);
    expect(expired).toEqual([['login_action_timeout', 'password'], ['login_action_timeout', 'update_password']]);
  });
});

describe('a required action spans the login over two pages', () => {
  it('asks for a new password set by an admin, then completes the login with it', async () => {
    const r = await makeRealm(t, {}, [spa]);
    await r.api('PATCH', '/users/alice', { requiredActions: ['UPDATE_PASSWORD'] });
    expect((await r.api('GET', '/users/alice')).body.user.requiredActions).toEqual(['UPDATE_PASSWORD']);
    expect((await form(t, tokenPath(r.realm), { grant_type: 'password', client_id: 'spa', ...r.user })).body.error).toBe('invalid_grant');
    const b = new Browser(t.url);
    const update = await submit(b, await openLogin(b, await authUrl(r.realm)), r.user);
    expect(update.page).toContain('<label for="password-new">New password</label>');
    const mismatch = await submit(b, parseForm(update.page!), { 'password-new': 'brand-new-pass', 'password-confirm': 'other-new-pass' });
    expect(mismatch.page).toMatch(/role="alert"[^>]*>The passwords do not match\./);
    const done = await submit(b, parseForm(mismatch.page!), { 'password-new': 'brand-new-pass', 'password-confirm': 'brand-new-pass' });
    expect(done.status).toBe(302);
    expect(new URL(done.location!).searchParams.get('code')).toBeTruthy();
    expect((await r.api('GET', '/users/alice')).body.user.requiredActions).toEqual([]);
    await passwordGrant(t, r.realm, 'spa', undefined, { username: 'alice', password: 'brand-new-pass' });
  });
});

describe('password rate limits', () => {
  it('refuses a user after too many failures, even with the right password (per user)', async () => {
    const r = await makeRealm(t, {}, [spa]);
    for (let i = 0; i < 10; i++) {
      const res = await form(t, tokenPath(r.realm), { grant_type: 'password', client_id: 'spa', username: 'alice', password: `wrong-${i}-password` });
      expect(res.body.error).toBe('invalid_grant');
    }
    const locked = await form(t, tokenPath(r.realm), { grant_type: 'password', client_id: 'spa', ...r.user });
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('invalid_grant');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('refuses an address after too many password attempts a minute (per address)', async () => {
    const r = await makeRealm(t, {}, [spa]);
    let limited: { status: number; body: any } | null = null;
    for (let i = 0; i < 14 && !limited; i++) {
      const res = await form(t, tokenPath(r.realm), { grant_type: 'password', client_id: 'spa', username: `user${i}`, password: 'some-password' });
      if (res.status === 429) limited = res;
    }
    expect(limited?.body.error).toBeDefined();
    // other grants from the same address are not limited
    const other = await form(t, tokenPath(r.realm), { grant_type: 'refresh_token', client_id: 'spa', refresh_token: 'x' });
    expect(other.status).toBe(400);
  });

  it('tells a person at the login form that the address is limited, on a page rather than in JSON', async () => {
    const r = await makeRealm(t, {}, [spa]);
    const b = new Browser(t.url);
    let page = await openLogin(b, await authUrl(r.realm));
    let res: Awaited<ReturnType<typeof submit>> | null = null;
    for (let i = 0; i < 14; i++) {
      // different usernames, so that the per-user limit does not answer first
      res = await submit(b, page, { username: `nobody${i}`, password: 'some-password' });
      if (res.status === 429) break;
      expect(res.status).toBe(200); // the form again, saying the credentials are wrong
      page = parseForm(res.page!);
    }
    expect(res?.status).toBe(429);
    expect(res?.page).toMatch(/^<!doctype html>/i);
    expect(res?.page).toMatch(/role="alert"[^>]*>Too many password attempts from this address/);
  });
});

describe('authorization request limits', () => {
  it('answers 429 to an address past 120 authorization requests a minute, and stores no more logins for it', async () => {
    const r = await makeRealm(t, {}, [spa]);
    const url = await authUrl(r.realm);
    let accepted = 0;
    let limited: { status: number; retryAfter: string | null; page: string } | null = null;
    for (let i = 0; i < 400 && !limited; i++) {
      const res = await fetch(url, { redirect: 'manual' });
      const page = await res.text();
      if (res.status === 429) limited = { status: res.status, retryAfter: res.headers.get('retry-after'), page };
      else {
        expect(res.status).toBe(200);
        accepted++;
      }
    }
    // a person signing in never gets near it
    expect(accepted).toBeGreaterThanOrEqual(120);
    expect(limited?.status).toBe(429);
    expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
    expect(limited?.page).toMatch(/role="alert"[^>]*>Too many sign-in requests/);
    // every accepted request made one login record and one login.started; the refused one none
    expect(await loginRecords(t, r.realm)).toBe(accepted);
    expect((await streamEvents(t, r.realm)).filter((e) => e.name === 'login.started')).toHaveLength(accepted);
  });
});

describe('bad input gets RFC 6749 errors, never a stack trace', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['no grant_type', { client_id: 'spa' }, 'invalid_request'],
    ['an unknown grant type', { client_id: 'spa', grant_type: 'magic' }, 'unsupported_grant_type'],
    ['an unknown client', { client_id: 'nobody', grant_type: 'password', username: 'a', password: 'b' }, 'invalid_client'],
    ['no client', { grant_type: 'password', username: 'a', password: 'b' }, 'invalid_client'],
    ['a missing code', { client_id: 'spa', grant_type: 'authorization_code' }, 'invalid_request'],
    ['an unknown code', { client_id: 'spa', grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) }, 'invalid_grant'],
    ['a garbage refresh token', { client_id: 'spa', grant_type: 'refresh_token', refresh_token: 'eyJ.garbage.token' }, 'invalid_grant'],
    ['an unknown scope', { client_id: 'spa', grant_type: 'password', username: 'alice', password: 'alice-password', scope: 'openid admin:all' }, 'invalid_scope'],
  ];
  for (const [what, body, error] of cases) {
    it(`token endpoint: ${what} → ${error}`, async () => {
      const r = await form(t, tokenPath(), body);
      expect(r.body).toMatchObject({ error });
      expect(typeof r.body.error_description).toBe('string');
      expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts:\d+/);
    });
  }

  beforeAll(async () => {
    await t.api('POST', '/clients', { token: t.adminToken, body: { ...spa, redirectUris: [REDIRECT] } });
    await t.createUser('alice', { password: 'alice-password' });
  });

  it('a JSON body, a repeated parameter, and a huge body are invalid_request', async () => {
    const json = await fetch(`${t.url}${tokenPath()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password' }) });
    expect(json.status).toBe(400);
    expect((await json.json()).error).toBe('invalid_request');
    const dup = await fetch(`${t.url}${tokenPath()}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&grant_type=refresh_token&client_id=spa' });
    expect((await dup.json()).error).toBe('invalid_request');
    const huge = await fetch(`${t.url}${tokenPath()}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=password&x=${'a'.repeat(70_000)}` });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error).toBe('invalid_request');
  });

  it('userinfo, introspection and revocation answer OAuth errors', async () => {
    const ui = await fetch(`${t.url}/realms/default/protocol/openid-connect/userinfo`, { headers: { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig' } });
    expect(ui.status).toBe(401);
    expect((await ui.json()).error).toBe('invalid_token');
    expect(ui.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const intro = await form(t, '/realms/default/protocol/openid-connect/token/introspect', { client_id: 'spa', token: 'x' });
    expect(intro.body.error).toBe('invalid_client');
    const rev = await form(t, '/realms/default/protocol/openid-connect/revoke', { client_id: 'spa' });
    expect(rev.body.error).toBe('invalid_request');
    const revUnknown = await form(t, '/realms/default/protocol/openid-connect/revoke', { client_id: 'spa', token: 'not-a-token' });
    expect(revUnknown.status).toBe(200);
  });

  it('the authorization endpoint: unknown scope and response type are redirected errors', async () => {
    const base = `${t.url}/realms/default/protocol/openid-connect/auth`;
    const q = (o: Record<string, string>) => `${base}?${new URLSearchParams({ client_id: 'spa', redirect_uri: REDIRECT, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256', ...o })}`;
    const scope = await fetch(q({ response_type: 'code', scope: 'openid root' }), { redirect: 'manual' });
    expect(new URL(scope.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
    const rt = await fetch(q({ response_type: 'magic' }), { redirect: 'manual' });
    expect(new URL(rt.headers.get('location')!).searchParams.get('error')).toBe('unsupported_response_type');
    const plain = await fetch(q({ response_type: 'code', code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const silent = await fetch(q({ response_type: 'code', prompt: 'none', state: 'p' }), { redirect: 'manual' });
    expect(new URL(silent.headers.get('location')!).searchParams.get('error')).toBe('login_required');
    const noClient = await fetch(`${base}?response_type=code`, { redirect: 'manual' });
    expect(noClient.status).toBe(400);
    expect(noClient.headers.get('location')).toBeNull();
  });

  const authQuery = (o: Record<string, string>) =>
    `${t.url}/realms/default/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'spa', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256', ...o })}`;

  it('the authorization endpoint: a state longer than 1024 characters is invalid_request, redirected only to a registered URI, and stores nothing', async () => {
    const before = await loginRecords(t);
    const res = await fetch(authQuery({ state: 's'.repeat(1500) }), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(loc.origin + loc.pathname).toBe(REDIRECT);
    expect(loc.searchParams.get('error')).toBe('invalid_request');
    // an oversize state is not echoed back
    expect(loc.searchParams.get('state')).toBeNull();
    const unregistered = await fetch(authQuery({ state: 's'.repeat(1500), redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
    expect(unregistered.status).toBe(400);
    expect(unregistered.headers.get('location')).toBeNull();
    expect(await unregistered.text()).toContain('role="alert"');
    expect(await loginRecords(t)).toBe(before);
  });

  const oversize: Array<[string, Record<string, string>]> = [
    ['a nonce longer than 256 characters', { nonce: 'n'.repeat(300) }],
    ['a scope longer than 512 characters', { scope: Array(100).fill('openid').join(' ') }],
    ['a request of more than 8192 characters in all', { padding: 'p'.repeat(9000) }],
  ];
  for (const [what, extra] of oversize) {
    it(`the authorization endpoint: ${what} is invalid_request at the registered URI, and stores nothing`, async () => {
      const before = await loginRecords(t);
      const res = await fetch(authQuery({ state: 'st', ...extra }), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(loc.origin + loc.pathname).toBe(REDIRECT);
      expect(loc.searchParams.get('error')).toBe('invalid_request');
      expect(loc.searchParams.get('state')).toBe('st');
      expect(await loginRecords(t)).toBe(before);
    });
  }
});
