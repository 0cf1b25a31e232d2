/**
 * SSO and offline sessions made by the OIDC provider live in the same engine as console
 * sessions: they warn and expire on time with the same events, an ended session's refresh is
 * invalid_grant and its tokens introspect as inactive, and a single-page app can watch and
 * extend its own session with its access token over /ws and Socket.IO.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient } from '../helpers/clients.js';
import { decodeJwt, form, makeRealm, passwordGrant, refreshGrant, sleep, streamEvents } from './oidc-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const clients = [
  { clientId: 'app', publicClient: true, directAccessGrantsEnabled: true },
  { clientId: 'rs', publicClient: false, introspection: true },
];

async function watch(realm: string, token: string): Promise<WsClient> {
  const c = new WsClient(`${t.wsUrl}/ws?realm=${realm}`, { token });
  await c.opened;
  c.send({ type: 'subscribe', topic: 'sessions' });
  await c.waitFor((m) => m.type === 'snapshot');
  return c;
}

describe('SSO Session Idle and Max', () => {
  it('warns and then expires an idle sso session; its refresh is then invalid_grant and introspection inactive', async () => {
    const r = await makeRealm(t, { expiryPromptSeconds: 5, ssoSessionIdle: 10, ssoSessionMax: 3600 }, clients);
    const wall = await watch(r.realm, r.admin);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const sid = String(decodeJwt(tok.access_token).sid);
    const warning = await wall.waitForEvent('session.warning', sid, 30_000);
    expect(warning.data.reason).toBe('idle');
    expect(warning.session?.kind).toBe('sso');
    expect(warning.session?.clientId).toBe('app');
    const expired = await wall.waitForEvent('session.expired', sid, 30_000);
    expect(expired.data.reason).toBe('idle');
    wall.close();

    const res = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    const intro = await form(t, `/realms/${r.realm}/protocol/openid-connect/token/introspect`, { client_id: 'rs', client_secret: r.secrets.rs!, token: tok.access_token });
    expect(intro.body).toEqual({ active: false });
    const introRt = await form(t, `/realms/${r.realm}/protocol/openid-connect/token/introspect`, { client_id: 'rs', client_secret: r.secrets.rs!, token: tok.refresh_token });
    expect(introRt.body).toEqual({ active: false });
  });

  it('ends an sso session at SSO Session Max however often it refreshes', async () => {
    const r = await makeRealm(t, { expiryPromptSeconds: 5, ssoSessionIdle: 10, ssoSessionMax: 12 }, clients);
    const wall = await watch(r.realm, r.admin);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const sid = String(decodeJwt(tok.access_token).sid);
    await sleep(3000);
    const again = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect(again.status).toBe(200);
    const warning = await wall.waitForEvent('session.warning', sid, 30_000);
    expect(warning.data.reason).toBe('max');
    const expired = await wall.waitForEvent('session.expired', sid, 30_000);
    expect(expired.data.reason).toBe('max');
    wall.close();
    expect((await refreshGrant(t, r.realm, 'app', undefined, again.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('Offline Session Idle and Max', () => {
  it('makes an offline session for offline_access, limited by Offline Session Idle', async () => {
    const r = await makeRealm(t, { expiryPromptSeconds: 5, offlineSessionIdle: 10, ssoSessionIdle: 3600, ssoSessionMax: 36000 }, clients);
    const wall = await watch(r.realm, r.admin);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user, 'openid offline_access');
    const rt = decodeJwt(tok.refresh_token);
    expect(rt.typ).toBe('Offline');
    const sid = String(rt.sid);
    const s = (await r.api('GET', `/sessions/${sid}`)).body.session;
    expect(s.kind).toBe('offline');
    // Offline Session Max Limited is off: no hard limit within a year
    expect(Date.parse(s.maxExpiresAt) - Date.now()).toBeGreaterThan(365 * 86400 * 1000);
    expect((await wall.waitForEvent('session.warning', sid, 30_000)).data.reason).toBe('idle');
    expect((await wall.waitForEvent('session.expired', sid, 30_000)).data.reason).toBe('idle');
    wall.close();
    expect((await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('limits an offline session by Offline Session Max when Offline Session Max Limited is on', async () => {
    const r = await makeRealm(t, { expiryPromptSeconds: 5, offlineSessionIdle: 10, offlineSessionMaxEnabled: true, offlineSessionMax: 12 }, clients);
    const wall = await watch(r.realm, r.admin);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user, 'offline_access');
    const sid = String(decodeJwt(tok.refresh_token).sid);
    const s = (await r.api('GET', `/sessions/${sid}`)).body.session;
    expect(Date.parse(s.maxExpiresAt) - Date.parse(s.createdAt)).toBe(12_000);
    await sleep(3000);
    expect((await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token)).status).toBe(200);
    expect((await wall.waitForEvent('session.expired', sid, 30_000)).data.reason).toBe('max');
    wall.close();
  });
});

describe('expiry prompts for OIDC apps', () => {
  it('lets a single-page app subscribe to its own session with its access token over /ws, see the warning and extend', async () => {
    const r = await makeRealm(t, { expiryPromptSeconds: 5, ssoSessionIdle: 10, ssoSessionMax: 3600 }, clients);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const sid = String(decodeJwt(tok.access_token).sid);
    const c = new WsClient(`${t.wsUrl}/ws?realm=${r.realm}`, { token: tok.access_token });
    await c.opened;
    const hello = await c.waitFor((m) => m.type === 'hello');
    expect(hello.sessionId).toBe(sid);
    c.send({ type: 'subscribe', topic: 'self' });
    const warning = await c.waitForEvent('session.warning', sid, 30_000);
    expect(warning.data.reason).toBe('idle');
    c.send({ type: 'extend', ref: 'x1' });
    await c.waitForEvent('session.extended', sid, 30_000);
    const s = (await r.api('GET', `/sessions/${sid}`)).body.session;
    expect(s.state).toBe('active');
    c.close();
  });

  it('works the same over Socket.IO, and a refresh grant during the idle warning extends the session', async () => {
    const r = await makeRealm(t, { expiryPromptSeconds: 5, ssoSessionIdle: 10, ssoSessionMax: 3600 }, clients);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const sid = String(decodeJwt(tok.access_token).sid);
    const c = new SioClient(t.url, { token: tok.access_token, realm: r.realm });
    await c.connected();
    expect(await c.request('subscribe', { topic: 'self' })).toEqual({ ok: true });
    await c.waitForEvent('session.warning', sid, 30_000);
    const again = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect(again.status).toBe(200);
    await c.waitForEvent('session.extended', sid, 30_000);
    // and the extend message itself, on the next warning
    const before = c.events().filter((e) => e.name === 'session.warning').length;
    await c.waitFor((m) => m.type === 'events' && c.events().filter((e) => e.name === 'session.warning').length > before, 30_000, 'second warning');
    const ack = await c.request('extend', {});
    expect(ack.ok).toBe(true);
    c.close();
  });
});

describe('Client login timeout', () => {
  it('is the authorization code\'s lifetime: a late code is invalid_grant with code.expired', async () => {
    const { Browser, openLogin, submit, REDIRECT, oc } = await import('./oidc-support.js');
    const r = await makeRealm(t, { clientLoginTimeout: 2 }, [{ clientId: 'spa', publicClient: true }]);
    const verifier = oc.randomPKCECodeVerifier();
    const url = `${t.url}/realms/${r.realm}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'spa', redirect_uri: REDIRECT, response_type: 'code', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })}`;
    const b = new Browser(t.url);
    const res = await submit(b, await openLogin(b, url), r.user);
    const code = new URL(res.location!).searchParams.get('code')!;
    await sleep(3000);
    const late = await form(t, `/realms/${r.realm}/protocol/openid-connect/token`, { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
    expect((await streamEvents(t, r.realm)).some((e) => e.name === 'code.expired')).toBe(true);
  });
});
