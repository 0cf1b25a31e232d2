/**
 * The OIDC provider's hardening (CONTRACT.md, "Hardening"; RFC 9700): an access token speaks
 * only for its own session unless its client is granted API roles; a public client's refresh
 * tokens always rotate; a code presented wrongly is not used up; introspection tells a token's
 * claims only to its own client or a resource server; rotated-out signing keys leave the JWKS
 * when the last token they signed ends, and DELETE /keys/{kid} retires one at once in every
 * process; a revoked access token's jti is announced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  Browser, REDIRECT, createClient, decodeJwt, eventually, form, loginForCode, makeRealm, oc, openLogin, passwordGrant, refreshGrant, streamEvents, submit, tokenPath, verifyJwt,
} from './oidc-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const admin = () => ({ username: t.adminUsername, password: t.adminPassword });

describe('API roles of an OIDC client (RFC 9700 §2.3)', () => {
  it('lets an unrelated app\'s access token for an admin act only as its own session', async () => {
    await createClient(t, { clientId: 'unrelated-app', publicClient: true, directAccessGrantsEnabled: true });
    const tok = await passwordGrant(t, 'default', 'unrelated-app', undefined, admin());
    const at = decodeJwt(tok.access_token);
    const result = await t.app.auth.identify({ realm: 'default', headers: {}, token: tok.access_token, originChecked: false });
    expect(result.principal).toMatchObject({
      roles: ['user'], role: 'user', sessionOnly: true, sessionId: at.sid, tokenId: at.jti, expiresAt: at.exp! * 1000, user: { username: t.adminUsername },
    });
  });

  it('gives a client\'s token the strongest role its user holds among the client\'s API roles', async () => {
    await t.createUser('carol', { password: 'carol-password', roles: ['user'] });
    const carol = { username: 'carol', password: 'carol-password' };
    await createClient(t, { clientId: 'monitor-app', publicClient: true, directAccessGrantsEnabled: true, apiRoles: ['viewer'] });
    await createClient(t, { clientId: 'admin-console', publicClient: true, directAccessGrantsEnabled: true, apiRoles: ['admin', 'user'] });
    const principal = async (clientId: string, user: { username: string; password: string }) =>
      (await t.app.auth.identify({ realm: 'default', headers: {}, token: (await passwordGrant(t, 'default', clientId, undefined, user)).access_token, originChecked: false })).principal;
    // admin includes viewer: an admin signed in to a viewer-only client is a viewer there
    expect(await principal('monitor-app', admin())).toMatchObject({ role: 'viewer', roles: ['viewer'], sessionOnly: false });
    expect(await principal('admin-console', admin())).toMatchObject({ role: 'admin', sessionOnly: false });
    // `user` in apiRoles is the plain user role (own sessions), not session-only
    expect(await principal('admin-console', carol)).toMatchObject({ role: 'user', roles: ['user'], sessionOnly: false });
    // a plain user holds no role the viewer-only client is granted
    expect(await principal('monitor-app', carol)).toMatchObject({ role: 'user', roles: ['user'], sessionOnly: true });
  });

  it('stores apiRoles and introspection with a client, returns and patches them, and refuses bad values', async () => {
    const created = await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'fields-app', publicClient: false } });
    expect(created.status).toBe(201);
    expect(created.body.client).toMatchObject({ apiRoles: [], introspection: false });
    const patched = await t.api('PATCH', '/clients/fields-app', { token: t.adminToken, body: { apiRoles: ['user', 'viewer', 'viewer'], introspection: true } });
    expect(patched.status).toBe(200);
    expect(patched.body.client).toMatchObject({ apiRoles: ['viewer', 'user'], introspection: true });
    expect((await t.api('GET', '/clients/fields-app', { token: t.adminToken })).body.client).toMatchObject({ apiRoles: ['viewer', 'user'], introspection: true });
    expect((await t.api('GET', '/clients', { token: t.adminToken })).body.clients.find((c: { clientId: string }) => c.clientId === 'fields-app')).toMatchObject({ apiRoles: ['viewer', 'user'] });
    for (const body of [{ apiRoles: ['root'] }, { apiRoles: 'admin' }, { apiRoles: [1] }]) {
      const bad = await t.api('PATCH', '/clients/fields-app', { token: t.adminToken, body });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VIGIL_ERR_VALIDATION');
      expect(bad.body.message).toContain('apiRoles');
    }
    const badFlag = await t.api('PATCH', '/clients/fields-app', { token: t.adminToken, body: { introspection: 'yes' } });
    expect(badFlag.status).toBe(400);
    expect(badFlag.body.message).toContain('introspection');
  });
});

describe('refresh token rotation for public clients (RFC 9700 §4.14.2)', () => {
  it('makes a public client\'s refresh token single use under the default policy: a reuse ends the session', async () => {
    const r = await makeRealm(t, {}, [{ clientId: 'spa', publicClient: true, directAccessGrantsEnabled: true }]);
    const tok = await passwordGrant(t, r.realm, 'spa', undefined, r.user);
    const sid = String(decodeJwt(tok.refresh_token).sid);
    const first = await refreshGrant(t, r.realm, 'spa', undefined, tok.refresh_token);
    expect(first.status).toBe(200);
    const replay = await refreshGrant(t, r.realm, 'spa', undefined, tok.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    // the replay ended the session: the legitimate client's newest token is dead too
    expect((await refreshGrant(t, r.realm, 'spa', undefined, first.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await r.api('GET', `/sessions/${sid}`)).status).toBe(404);
    expect((await streamEvents(t, r.realm)).find((e) => e.name === 'session.terminated' && e.sessionId === sid)?.data.cause).toBe('refresh_token_reuse');
  });

  it('rotates a public client\'s refresh tokens even when the realm allows reuse (Max Reuse 3)', async () => {
    const r = await makeRealm(t, { revokeRefreshToken: true, refreshTokenMaxReuse: 3 }, [{ clientId: 'spa', publicClient: true, directAccessGrantsEnabled: true }]);
    const tok = await passwordGrant(t, r.realm, 'spa', undefined, r.user);
    expect((await refreshGrant(t, r.realm, 'spa', undefined, tok.refresh_token)).status).toBe(200);
    expect((await refreshGrant(t, r.realm, 'spa', undefined, tok.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('lets a public client refresh again and again with each new token', async () => {
    const r = await makeRealm(t, {}, [{ clientId: 'spa', publicClient: true, directAccessGrantsEnabled: true }]);
    let rt = (await passwordGrant(t, r.realm, 'spa', undefined, r.user)).refresh_token as string;
    for (let i = 0; i < 3; i++) {
      const res = await refreshGrant(t, r.realm, 'spa', undefined, rt);
      expect(res.status).toBe(200);
      rt = res.body.refresh_token;
    }
  });
});

describe('authorization codes presented wrongly are not used up', () => {
  it('refuses a code with a wrong or missing redirect_uri and still redeems it for the client\'s correct retry', async () => {
    await createClient(t, { clientId: 'retry-spa', publicClient: true });
    await t.createUser('dave', { password: 'dave-password' });
    const a = await loginForCode(t, { client_id: 'retry-spa', redirect_uri: REDIRECT }, { username: 'dave', password: 'dave-password' });
    const exchange = (extra: Record<string, string>) => form(t, tokenPath(), { grant_type: 'authorization_code', client_id: 'retry-spa', code: a.code, code_verifier: a.verifier, ...extra });
    const wrong = await exchange({ redirect_uri: `${REDIRECT}/other` });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_grant', error_description: 'Incorrect redirect_uri' });
    expect((await exchange({})).body.error_description).toBe('Incorrect redirect_uri');
    const retry = await exchange({ redirect_uri: REDIRECT });
    expect(retry.status).toBe(200);
    const sid = String(decodeJwt(retry.body.access_token).sid);
    expect((await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(200);
    expect((await streamEvents(t)).some((e) => e.name === 'token.reuse_detected' && e.sessionId === sid)).toBe(false);
  });

  it('refuses a verifier for a code that had no PKCE challenge without using the code up', async () => {
    const { secret } = await createClient(t, { clientId: 'web-backend', publicClient: false });
    await t.createUser('erin', { password: 'erin-password' });
    const b = new Browser(t.url);
    const url = `${t.url}/realms/default/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'web-backend', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' })}`;
    const res = await submit(b, await openLogin(b, url), { username: 'erin', password: 'erin-password' });
    const code = new URL(res.location!).searchParams.get('code')!;
    const base = { grant_type: 'authorization_code', client_id: 'web-backend', client_secret: secret!, code, redirect_uri: REDIRECT };
    const withVerifier = await form(t, tokenPath(), { ...base, code_verifier: oc.randomPKCECodeVerifier() });
    expect(withVerifier.body.error).toBe('invalid_grant');
    const retry = await form(t, tokenPath(), base);
    expect(retry.status).toBe(200);
    expect(retry.body.access_token).toBeTruthy();
  });
});

describe('introspection is for the token\'s own client and resource servers (RFC 7662 §4)', () => {
  it('answers active only to the client the token was issued to or to a client with introspection: true', async () => {
    const r = await makeRealm(t, {}, [
      { clientId: 'app', publicClient: false, directAccessGrantsEnabled: true },
      { clientId: 'stranger', publicClient: false },
      { clientId: 'rs', publicClient: false, introspection: true },
    ]);
    const tok = await passwordGrant(t, r.realm, 'app', r.secrets.app, r.user);
    const introspect = (clientId: string, token: string) =>
      form(t, `/realms/${r.realm}/protocol/openid-connect/token/introspect`, { client_id: clientId, client_secret: r.secrets[clientId]!, token });
    for (const token of [tok.access_token, tok.refresh_token]) {
      const stranger = await introspect('stranger', token);
      expect(stranger.status).toBe(200);
      expect(stranger.body).toEqual({ active: false });
      expect((await introspect('app', token)).body).toMatchObject({ active: true, client_id: 'app' });
      expect((await introspect('rs', token)).body).toMatchObject({ active: true, client_id: 'app', sub: decodeJwt(token).sub });
    }
  });
});

describe('signing keys', () => {
  it('retires a rotated-out key at once with DELETE /keys/{kid}, in every process', async () => {
    const r = await makeRealm(t, {}, [{ clientId: 'app', publicClient: true, directAccessGrantsEnabled: true }, { clientId: 'rs', publicClient: false, introspection: true }]);
    const other = await startTestApp({ noWorker: true, prefix: t.prefix });
    try {
      const before = await passwordGrant(t, r.realm, 'app', undefined, r.user);
      const oldKid = String(decodeProtectedHeader(before.access_token).kid);
      const me = (app: TestApp, token: string) => app.api('GET', `/api/v1/realms/${r.realm}/me`, { token });
      const certs = async (app: TestApp) => ((await app.api('GET', `/realms/${r.realm}/protocol/openid-connect/certs`)).body.keys as Array<{ kid: string }>).map((k) => k.kid);
      // the other process has the keys cached
      expect((await me(other, before.access_token)).status).toBe(200);
      expect(await certs(other)).toContain(oldKid);

      const rotated = await r.api('POST', '/keys/rotate');
      expect(rotated.status).toBe(200);
      const newKid = rotated.body.kid as string;
      const active = await r.api('DELETE', `/keys/${newKid}`);
      expect(active.status).toBe(409);
      expect(active.body.code).toBe('VIGIL_ERR_CONFLICT');
      expect((await r.api('DELETE', '/keys/no-such-kid')).status).toBe(404);
      const alice = (await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: r.user })).body.token;
      expect((await t.api('DELETE', `/api/v1/realms/${r.realm}/keys/${oldKid}`, { token: alice })).status).toBe(403);
      expect((await t.api('DELETE', `/api/v1/realms/${r.realm}/keys/${oldKid}`, {})).status).toBe(401);
      // rotated out, the old key still verifies: a token it signed can still live
      expect((await me(other, before.access_token)).status).toBe(200);

      const retired = await r.api('DELETE', `/keys/${oldKid}`);
      expect(retired.status).toBe(204);
      for (const app of [t, other]) {
        expect((await me(app, before.access_token)).status).toBe(401);
        expect(await certs(app)).not.toContain(oldKid);
        expect(await certs(app)).toContain(newKid);
      }
      await expect(verifyJwt(t, before.access_token, r.realm)).rejects.toThrow();
      const intro = await form(other, `/realms/${r.realm}/protocol/openid-connect/token/introspect`, { client_id: 'rs', client_secret: r.secrets.rs!, token: before.access_token });
      expect(intro.body).toEqual({ active: false });
      // tokens signed by the new key work in both processes
      const after = await passwordGrant(t, r.realm, 'app', undefined, r.user);
      expect(decodeProtectedHeader(after.access_token).kid).toBe(newKid);
      expect((await me(other, after.access_token)).status).toBe(200);
      expect((await r.api('DELETE', `/keys/${oldKid}`)).status).toBe(404);
      expect((await streamEvents(t, r.realm)).some((e) => e.name === 'keys.retired' && e.data.kid === oldKid)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('keeps a rotated-out key in the JWKS only as long as a token it signed can live', async () => {
    // the longest-lived token of the realm: the client's 4 s (the realm's are 2 and 3 s)
    const r = await makeRealm(t, { accessTokenLifespan: 2, accessTokenLifespanImplicit: 3 }, [
      { clientId: 'app', publicClient: true, directAccessGrantsEnabled: true, accessTokenLifespan: 4 },
    ]);
    const before = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const oldKid = String(decodeProtectedHeader(before.access_token).kid);
    const certs = async () => ((await t.api('GET', `/realms/${r.realm}/protocol/openid-connect/certs`)).body.keys as Array<{ kid: string }>).map((k) => k.kid);
    const rotated = await r.api('POST', '/keys/rotate');
    expect(rotated.status).toBe(200);
    expect(await certs()).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
    // the retire-at covers the longest token lifetime from the rotation on
    const retireAt = Number(await t.app.redis.hget(t.app.keys.oidcKeys(r.realm), `r:${oldKid}`));
    expect(retireAt).toBeGreaterThanOrEqual(Number(decodeJwt(before.access_token).exp) * 1000);
    // once every token it signed has ended, the key leaves the JWKS and Redis
    await eventually(async () => !(await certs()).includes(oldKid), 60_000, 'the rotated-out key to leave the JWKS');
    expect(await certs()).toEqual([rotated.body.kid]);
    expect(await t.app.redis.hexists(t.app.keys.oidcKeys(r.realm), `k:${oldKid}`)).toBe(0);
    expect((await t.api('GET', `/api/v1/realms/${r.realm}/me`, { token: before.access_token })).status).toBe(401);
  });
});

describe('revocation (RFC 7009)', () => {
  it('announces the revoked access token\'s jti, so that connections made with it can be closed', async () => {
    const r = await makeRealm(t, {}, [{ clientId: 'app', publicClient: true, directAccessGrantsEnabled: true }]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const at = decodeJwt(tok.access_token);
    const res = await form(t, `/realms/${r.realm}/protocol/openid-connect/revoke`, { client_id: 'app', token: tok.access_token, token_type_hint: 'access_token' });
    expect(res.status).toBe(200);
    const ev = (await streamEvents(t, r.realm)).find((e) => e.name === 'token.revoked');
    expect(ev?.data).toEqual({ clientId: 'app', kind: 'access_token', jti: at.jti });
    expect(ev?.sessionId).toBe(at.sid);
  });
});
