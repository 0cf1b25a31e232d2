/** The OIDC provider against openid-client: discovery, code + PKCE, refresh, userinfo, introspection, revocation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Browser, REDIRECT, codeLogin, createClient, decodeJwt, form, loginForCode, oc, openLogin, relyingParty, streamEvents, tokenPath, verifyJwt } from './oidc-support.js';

let t: TestApp;
const alice = { username: 'alice', password: 'alice-password' };

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser(alice.username, { password: alice.password });
  await createClient(t, { clientId: 'spa', publicClient: true });
});
afterAll(async () => t?.close());

describe('discovery and keys', () => {
  it('publishes the endpoints at Keycloak paths with the realm as issuer', async () => {
    const r = await t.api('GET', '/realms/default/.well-known/openid-configuration');
    expect(r.status).toBe(200);
    const base = `${t.url}/realms/default`;
    expect(r.body.issuer).toBe(base);
    expect(r.body.authorization_endpoint).toBe(`${base}/protocol/openid-connect/auth`);
    expect(r.body.token_endpoint).toBe(`${base}/protocol/openid-connect/token`);
    expect(r.body.jwks_uri).toBe(`${base}/protocol/openid-connect/certs`);
    expect(r.body.introspection_endpoint).toBe(`${base}/protocol/openid-connect/token/introspect`);
    expect(r.body.revocation_endpoint).toBe(`${base}/protocol/openid-connect/revoke`);
    expect(r.body.end_session_endpoint).toBe(`${base}/protocol/openid-connect/logout`);
    expect(r.body.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('serves a JWKS whose keys have a kid, and rotation keeps old tokens verifiable', async () => {
    const r = await t.api('GET', '/realms/default/protocol/openid-connect/certs');
    expect(r.status).toBe(200);
    expect(r.body.keys.length).toBeGreaterThanOrEqual(1);
    for (const k of r.body.keys) {
      expect(typeof k.kid).toBe('string');
      expect(k.d).toBeUndefined();
    }
  });

  it('answers an unknown realm with an OAuth error, not a stack trace', async () => {
    const r = await t.api('GET', '/realms/nope/.well-known/openid-configuration');
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('invalid_request');
  });
});

describe('key rotation', () => {
  it('signs new tokens with a new kid while tokens signed before still verify against the JWKS', async () => {
    await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'rot', publicClient: true, directAccessGrantsEnabled: true, redirectUris: [REDIRECT] } });
    const get = async () => (await form(t, tokenPath(), { grant_type: 'password', client_id: 'rot', ...alice, scope: 'openid' })).body;
    const before = await get();
    const r = await t.api('POST', '/keys/rotate', { token: t.adminToken });
    expect(r.status).toBe(200);
    const after = await get();
    const { decodeProtectedHeader } = await import('jose');
    expect(decodeProtectedHeader(after.access_token).kid).toBe(r.body.kid);
    expect(decodeProtectedHeader(before.access_token).kid).not.toBe(r.body.kid);
    await verifyJwt(t, before.access_token);
    await verifyJwt(t, after.access_token);
    expect((await t.api('GET', '/me', { token: before.access_token })).status).toBe(200);
    expect((await t.api('POST', '/keys/rotate', {})).status).toBe(401);
  });
});

describe('authorization code with PKCE', () => {
  it('signs a user in through the login page and issues verifiable tokens for an sso session', async () => {
    const rp = await relyingParty(t, 'spa');
    const { tokens } = await codeLogin(t, rp, alice);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(typeof tokens.refresh_token).toBe('string');
    const at = await verifyJwt(t, tokens.access_token);
    const idt = await verifyJwt(t, tokens.id_token!);
    expect(at.typ).toBe('Bearer');
    expect(at.azp).toBe('spa');
    expect(idt.aud).toBe('spa');
    expect(tokens.claims()!.sub).toBe(at.sub);
    const sid = String(at.sid);
    expect(tokens.session_state).toBe(sid);

    const s = await t.api('GET', `/sessions/${sid}`, { token: t.adminToken });
    expect(s.status).toBe(200);
    expect(s.body.session).toMatchObject({ kind: 'sso', clientId: 'spa', user: { username: 'alice' } });

    const names = (await streamEvents(t)).map((e) => e.name);
    for (const n of ['login.started', 'login.succeeded', 'token.issued', 'session.started']) expect(names).toContain(n);
  });

  it('lets the access token authenticate REST calls as its session, and userinfo', async () => {
    const rp = await relyingParty(t, 'spa');
    const { tokens } = await codeLogin(t, rp, alice);
    const me = await t.api('GET', '/me', { token: tokens.access_token });
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('alice');
    expect(me.body.session.kind).toBe('sso');
    const info = await oc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(info.preferred_username).toBe('alice');
  });

  it('refreshes with a new refresh token, bumps idle, and announces token.refreshed', async () => {
    const rp = await relyingParty(t, 'spa');
    const { tokens } = await codeLogin(t, rp, alice);
    const sid = String(decodeJwt(tokens.access_token).sid);
    const before = (await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).body.session;
    await new Promise((r) => setTimeout(r, 1100));
    const refreshed = await oc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(decodeJwt(refreshed.access_token).sid).toBe(sid);
    const after = (await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).body.session;
    expect(Date.parse(after.lastActivityAt)).toBeGreaterThan(Date.parse(before.lastActivityAt));
    expect((await streamEvents(t)).some((e) => e.name === 'token.refreshed' && e.sessionId === sid)).toBe(true);
  });

  it('refuses a public client without PKCE by redirecting the error to its registered URI', async () => {
    const url = new URL(`${t.url}/realms/default/protocol/openid-connect/auth`);
    url.search = new URLSearchParams({ client_id: 'spa', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's1' }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(loc.origin + loc.pathname).toBe(REDIRECT);
    expect(loc.searchParams.get('error')).toBe('invalid_request');
    expect(loc.searchParams.get('state')).toBe('s1');
  });

  it('never redirects to an unregistered redirect URI', async () => {
    const url = new URL(`${t.url}/realms/default/protocol/openid-connect/auth`);
    url.search = new URLSearchParams({ client_id: 'spa', redirect_uri: 'https://evil.example/cb', response_type: 'code', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('role="alert"');
    const prefix = await fetch(url.toString().replace(encodeURIComponent('https://evil.example/cb'), encodeURIComponent(`${REDIRECT}/../x`)), { redirect: 'manual' });
    expect(prefix.headers.get('location')).toBeNull();
  });

  it('makes a code single use: redeeming it again fails and revokes what it issued', async () => {
    const rp = await relyingParty(t, 'spa');
    const { tokens, callback, verifier } = await codeLogin(t, rp, alice);
    const sid = String(decodeJwt(tokens.access_token).sid);
    const again = await form(t, tokenPath(), { grant_type: 'authorization_code', client_id: 'spa', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    expect((await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(404);
    const r = await form(t, tokenPath(), { grant_type: 'refresh_token', client_id: 'spa', refresh_token: tokens.refresh_token! });
    expect(r.body.error).toBe('invalid_grant');
    expect((await t.api('GET', '/me', { token: tokens.access_token })).status).toBe(401);
    expect((await streamEvents(t)).some((e) => e.name === 'token.reuse_detected' && e.sessionId === sid)).toBe(true);
  });

  it('refuses an already redeemed code posted by another client, and leaves the session it started alone', async () => {
    await createClient(t, { clientId: 'spa-stranger', publicClient: true });
    const { secret } = await createClient(t, { clientId: 'resource-server', publicClient: false, introspection: true });
    const rp = await relyingParty(t, 'spa');
    const { tokens, callback } = await codeLogin(t, rp, alice);
    const sid = String(decodeJwt(tokens.access_token).sid);
    // the code leaked (a Referer header, the history); anyone may name a public client
    const stolen = await form(t, tokenPath(), { grant_type: 'authorization_code', client_id: 'spa-stranger', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    expect((await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(200);
    const intro = await form(t, '/realms/default/protocol/openid-connect/token/introspect', { client_id: 'resource-server', client_secret: secret!, token: tokens.access_token });
    expect(intro.body.active).toBe(true);
    const refreshed = await oc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(decodeJwt(refreshed.access_token).sid).toBe(sid);
    expect((await streamEvents(t)).some((e) => e.name === 'token.reuse_detected' && e.sessionId === sid)).toBe(false);
  });

  it('asks for redirect_uri at the token endpoint only if the authorization request carried it (RFC 6749 §4.1.3)', async () => {
    const exchange = (a: { code: string; verifier: string }, extra: Record<string, string> = {}) =>
      form(t, tokenPath(), { grant_type: 'authorization_code', client_id: 'spa', code: a.code, code_verifier: a.verifier, ...extra });
    // left out at both steps: the client's only registered URI was used, and the code is good
    const omitted = await loginForCode(t, { client_id: 'spa' }, alice);
    expect(omitted.callback.origin + omitted.callback.pathname).toBe(REDIRECT);
    const ok = await exchange(omitted);
    expect(ok.status).toBe(200);
    await verifyJwt(t, ok.body.access_token);
    // given at authorization: it must come again, and be the same
    const notRepeated = await exchange(await loginForCode(t, { client_id: 'spa', redirect_uri: REDIRECT }, alice));
    expect(notRepeated.body.error).toBe('invalid_grant');
    const different = await exchange(await loginForCode(t, { client_id: 'spa', redirect_uri: REDIRECT }, alice), { redirect_uri: `${REDIRECT}/other` });
    expect(different.body.error).toBe('invalid_grant');
    // left out at authorization: one that is given anyway must still be the right one
    const wrong = await exchange(await loginForCode(t, { client_id: 'spa' }, alice), { redirect_uri: 'https://evil.example/cb' });
    expect(wrong.body.error).toBe('invalid_grant');
  });

  it('rejects a wrong PKCE verifier', async () => {
    const rp = await relyingParty(t, 'spa');
    const b = new Browser(t.url);
    const verifier = oc.randomPKCECodeVerifier();
    const url = oc.buildAuthorizationUrl(rp, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const f = await openLogin(b, url);
    const res = await b.fetch(f.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...f.fields, ...alice }).toString() });
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const r = await form(t, tokenPath(), { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: oc.randomPKCECodeVerifier() });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_grant', error_description: 'PKCE verification failed: Code mismatch' });
    // a caller without the verifier (a thief of the code) has not used it up: its client still redeems it
    const mine = await form(t, tokenPath(), { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(mine.status).toBe(200);
    expect(mine.body.access_token).toBeTruthy();
  });

  it('does not let someone without the verifier end a session by presenting its redeemed code again', async () => {
    const rp = await relyingParty(t, 'spa');
    const { tokens, callback } = await codeLogin(t, rp, alice);
    const sid = String(decodeJwt(tokens.access_token).sid);
    const code = callback.searchParams.get('code')!;
    for (const verifier of [undefined, oc.randomPKCECodeVerifier()]) {
      const r = await form(t, tokenPath(), { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, ...(verifier ? { code_verifier: verifier } : {}) });
      expect(r.body.error).toBe('invalid_grant');
    }
    expect((await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(200);
    const refreshed = await form(t, tokenPath(), { grant_type: 'refresh_token', client_id: 'spa', refresh_token: tokens.refresh_token! });
    expect(refreshed.status).toBe(200);
    expect((await streamEvents(t)).some((e) => e.name === 'token.reuse_detected' && e.sessionId === sid)).toBe(false);
  });
});

describe('confidential clients, introspection and revocation', () => {
  let secret: string;
  beforeAll(async () => {
    ({ secret } = (await createClient(t, { clientId: 'backend', publicClient: false, directAccessGrantsEnabled: true })) as { secret: string });
  });

  it('shows the secret only at creation and stores it hashed', async () => {
    expect(secret.length).toBeGreaterThan(30);
    const r = await t.api('GET', '/clients/backend', { token: t.adminToken });
    expect(r.body.client.secret).toBeUndefined();
    const raw = await t.app.redis.hgetall(t.app.keys.oidcClient('default', 'backend'));
    expect(JSON.stringify(raw)).not.toContain(secret);
  });

  it('refuses a wrong secret with invalid_client', async () => {
    const r = await form(t, tokenPath(), { grant_type: 'client_credentials', client_id: 'backend', client_secret: 'wrong' });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('introspects live tokens as active and revoked ones as inactive (RFC 7662, RFC 7009)', async () => {
    const rp = await relyingParty(t, 'backend', secret);
    const { tokens } = await codeLogin(t, rp, alice);
    const a = await oc.tokenIntrospection(rp, tokens.access_token);
    expect(a.active).toBe(true);
    expect(a.client_id).toBe('backend');
    const rIntro = await oc.tokenIntrospection(rp, tokens.refresh_token!);
    expect(rIntro.active).toBe(true);

    await oc.tokenRevocation(rp, tokens.access_token);
    expect((await oc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    expect((await t.api('GET', '/me', { token: tokens.access_token })).status).toBe(401);

    await oc.tokenRevocation(rp, tokens.refresh_token!);
    expect((await oc.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(false);
    const r = await form(t, tokenPath(), { grant_type: 'refresh_token', client_id: 'backend', client_secret: secret, refresh_token: tokens.refresh_token! });
    expect(r.body.error).toBe('invalid_grant');
    const names = (await streamEvents(t)).map((e) => e.name);
    expect(names).toContain('token.revoked');
  });

  it('issues client_credentials tokens only to confidential clients', async () => {
    const rp = await relyingParty(t, 'backend', secret);
    const tok = await oc.clientCredentialsGrant(rp);
    const claims = await verifyJwt(t, tok.access_token);
    expect(claims.azp).toBe('backend');
    expect(tok.refresh_token).toBeUndefined();
    const pub = await form(t, tokenPath(), { grant_type: 'client_credentials', client_id: 'spa' });
    expect(pub.body.error).toBe('unauthorized_client');
  });

  it('allows the password grant only for direct-access clients', async () => {
    const ok = await form(t, tokenPath(), { grant_type: 'password', client_id: 'backend', client_secret: secret, username: 'alice', password: alice.password, scope: 'openid' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer' });
    for (const k of ['access_token', 'expires_in', 'refresh_token', 'refresh_expires_in', 'id_token', 'scope', 'session_state']) expect(ok.body[k]).toBeDefined();
    const bad = await form(t, tokenPath(), { grant_type: 'password', client_id: 'backend', client_secret: secret, username: 'alice', password: 'wrong-password' });
    expect(bad.body.error).toBe('invalid_grant');
    const spa = await form(t, tokenPath(), { grant_type: 'password', client_id: 'spa', username: 'alice', password: alice.password });
    expect(spa.body.error).toBe('unauthorized_client');
  });

  it('logs a session out through RP-initiated logout and redirects only to a registered URI', async () => {
    const rp = await relyingParty(t, 'backend', secret);
    const { tokens } = await codeLogin(t, rp, alice);
    const sid = String(decodeJwt(tokens.access_token).sid);
    const evil = oc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' });
    const r1 = await fetch(evil, { redirect: 'manual' });
    expect(r1.status).toBe(400);
    expect(r1.headers.get('location')).toBeNull();
    const url = oc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: REDIRECT, state: 'bye' });
    const r2 = await fetch(url, { redirect: 'manual' });
    expect(r2.status).toBe(302);
    expect(r2.headers.get('location')).toBe(`${REDIRECT}?state=bye`);
    expect((await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(404);
  });
});
