/**
 * Credentials changing hands: an admin setting a password ends the user's sessions and refresh
 * tokens (CONTRACT.md, Users), and what a failed sign-in records about the attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Browser, REDIRECT, makeRealm, oc, openLogin, passwordGrant, refreshGrant, streamEvents, submit, tokenPath, form } from './oidc-support.js';

const direct = { clientId: 'app', publicClient: true, directAccessGrantsEnabled: true, redirectUris: [REDIRECT] };

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '1000' } });
});
afterAll(async () => t?.close());

const me = (realm: string, token: string) => t.api('GET', `/api/v1/realms/${realm}/me`, { token });

describe('an admin setting a password', () => {
  it("ends all the user's sessions and their refresh tokens, saying the credentials changed", async () => {
    const r = await makeRealm(t, {}, [direct]);
    const signedIn = await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: r.user });
    expect(signedIn.status).toBe(201);
    const sso = await passwordGrant(t, r.realm, 'app', undefined, r.user, 'openid');
    const ssoSession = String(sso.session_state);
    expect((await me(r.realm, signedIn.body.token)).status).toBe(200);

    expect((await r.api('PATCH', '/users/alice', { password: 'set-by-the-admin' })).status).toBe(200);

    expect((await me(r.realm, signedIn.body.token)).status).toBe(401);
    const refreshed = await refreshGrant(t, r.realm, 'app', undefined, sso.refresh_token);
    expect(refreshed.body.error).toBe('invalid_grant');
    const ended = (await streamEvents(t, r.realm)).filter((e) => e.name === 'session.terminated');
    for (const sid of [signedIn.body.session.id, ssoSession]) {
      expect(ended.find((e) => e.sessionId === sid)?.data).toMatchObject({ reason: 'credentials-changed', by: { username: 'boss' } });
    }
    // the new password works, the old one does not
    expect((await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: r.user })).status).toBe(401);
    expect((await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: { username: 'alice', password: 'set-by-the-admin' } })).status).toBe(201);
  });

  it('of their own keeps the session they set it from and ends their others', async () => {
    const r = await makeRealm(t, {}, []);
    const other = await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: { username: 'boss', password: 'boss-password' } });
    expect((await r.api('PATCH', '/users/boss', { password: 'boss-new-password' })).status).toBe(200);
    expect((await me(r.realm, r.admin)).status).toBe(200);
    expect((await me(r.realm, other.body.token)).status).toBe(401);
    const ended = (await streamEvents(t, r.realm)).filter((e) => e.name === 'session.terminated');
    expect(ended.map((e) => [e.sessionId, e.data.reason])).toEqual([[other.body.session.id, 'credentials-changed']]);
  });

  it("leaves the user's sessions alone when other fields change", async () => {
    const r = await makeRealm(t, {}, []);
    const alice = await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: r.user });
    expect((await r.api('PATCH', '/users/alice', { roles: ['viewer'] })).status).toBe(200);
    expect((await me(r.realm, alice.body.token)).status).toBe(200);
  });
});

describe('login.failed', () => {
  const typed = 'Hunter2-typed-in-the-username-box';

  it('names the attempted username only when such a user exists, on every sign-in path', async () => {
    const r = await makeRealm(t, {}, [direct]);
    expect((await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: { username: typed, password: 'whatever-it-was' } })).status).toBe(401);
    expect((await form(t, tokenPath(r.realm), { grant_type: 'password', client_id: 'app', username: typed, password: 'whatever-it-was' })).status).toBe(401);
    const b = new Browser(t.url);
    const challenge = await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier());
    const page = await openLogin(b, `${t.url}/realms/${r.realm}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'app', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`);
    expect((await submit(b, page, { username: typed, password: 'whatever-it-was' })).status).toBe(200);
    expect((await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: { username: 'alice', password: 'not-her-password' } })).status).toBe(401);

    const failed = (await streamEvents(t, r.realm)).filter((e) => e.name === 'login.failed');
    expect(failed).toHaveLength(4);
    for (const e of failed.slice(0, 3)) {
      expect(e.data).not.toHaveProperty('username');
      expect(e.data).toMatchObject({ reason: 'invalid_credentials', unknownUser: true, ip: '127.0.0.1' });
    }
    expect(failed[3]!.data).toMatchObject({ reason: 'invalid_credentials', username: 'alice', ip: '127.0.0.1' });
    expect(failed[3]!.data).not.toHaveProperty('unknownUser');
  });

  it('keeps what was typed as a username out of Redis when no such user exists', async () => {
    const r = await makeRealm(t, {}, []);
    expect((await t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: { username: typed, password: 'whatever-it-was' } })).status).toBe(401);
    const { redis, keys } = t.app;
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', keys.realmPattern(r.realm), 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((k) => k.toLowerCase().includes(typed.toLowerCase()))).toEqual([]);
    expect(JSON.stringify(await streamEvents(t, r.realm))).not.toContain(typed);
  });
});
