/** Keycloak token semantics: access and refresh token lifetimes, and Revoke Refresh Token with Max Reuse. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Browser, REDIRECT, decodeJwt, makeRealm, openLogin, passwordGrant, refreshGrant, sleep, streamEvents, submit, verifyJwt } from './oidc-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const direct = { clientId: 'app', publicClient: true, directAccessGrantsEnabled: true };
/** Revoke Refresh Token and Max Reuse govern confidential clients; a public client's tokens always rotate. */
const confidential = { clientId: 'backend', publicClient: false, directAccessGrantsEnabled: true };

describe('access token lifetime', () => {
  it('is now + Access Token Lifespan while the session max is further away', async () => {
    const r = await makeRealm(t, { accessTokenLifespan: 20 }, [direct]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const at = await verifyJwt(t, tok.access_token, r.realm);
    expect(at.exp! - at.iat!).toBe(20);
    expect(tok.expires_in).toBe(20);
  });

  it('never outlives the session max: exp = min(now + lifespan, SSO Session Max)', async () => {
    const r = await makeRealm(t, { accessTokenLifespan: 3600, ssoSessionIdle: 30, ssoSessionMax: 60 }, [direct]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const at = decodeJwt(tok.access_token);
    const s = (await r.api('GET', `/sessions/${at.sid}`)).body.session;
    expect(at.exp).toBe(Math.floor(Date.parse(s.maxExpiresAt) / 1000));
    expect(at.exp! - at.iat!).toBeLessThanOrEqual(60);
  });

  it('uses the client\'s own lifespan when it has one', async () => {
    const r = await makeRealm(t, { accessTokenLifespan: 300 }, [{ ...direct, accessTokenLifespan: 7 }]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const at = decodeJwt(tok.access_token);
    expect(at.exp! - at.iat!).toBe(7);
  });

  it('uses Access Token Lifespan For Implicit Flow for implicit grants, and only for clients that enable it', async () => {
    const r = await makeRealm(t, { accessTokenLifespan: 60, accessTokenLifespanImplicit: 45 }, [
      { clientId: 'legacy', publicClient: true, implicitFlowEnabled: true, standardFlowEnabled: false },
      { clientId: 'strict', publicClient: true },
    ]);
    const auth = (clientId: string) =>
      `${t.url}/realms/${r.realm}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'id_token token', scope: 'openid', nonce: 'n-1', state: 'st' })}`;
    const b = new Browser(t.url);
    const res = await submit(b, await openLogin(b, auth('legacy')), r.user);
    expect(res.location).toBeDefined();
    const frag = new URLSearchParams(new URL(res.location!).hash.slice(1));
    expect(frag.get('state')).toBe('st');
    expect(frag.get('refresh_token')).toBeNull();
    const at = await verifyJwt(t, frag.get('access_token')!, r.realm);
    expect(at.exp! - at.iat!).toBe(45);
    expect(frag.get('expires_in')).toBe('45');
    const idt = await verifyJwt(t, frag.get('id_token')!, r.realm);
    expect(idt.nonce).toBe('n-1');

    const refused = await fetch(auth('strict'), { redirect: 'manual' });
    expect(refused.status).toBe(302);
    const loc = new URL(refused.headers.get('location')!);
    expect(new URLSearchParams(loc.hash.slice(1)).get('error')).toBe('unauthorized_client');
    const codeForImplicitOnly = await fetch(auth('legacy').replace('response_type=id_token+token', 'response_type=code'), { redirect: 'manual' });
    expect(new URL(codeForImplicitOnly.headers.get('location')!).searchParams.get('error')).toBe('unauthorized_client');
  });
});

describe('refresh token lifetime', () => {
  it('is min(idle deadline, session max), and a refresh bumps the idle deadline', async () => {
    const r = await makeRealm(t, { ssoSessionIdle: 30, ssoSessionMax: 600 }, [direct]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const rt = decodeJwt(tok.refresh_token);
    const sid = String(rt.sid);
    const s = (await r.api('GET', `/sessions/${sid}`)).body.session;
    expect(rt.exp).toBe(Math.floor(Date.parse(s.expiresAt) / 1000));
    expect(tok.refresh_expires_in).toBeLessThanOrEqual(30);
    await sleep(1500);
    const again = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect(again.status).toBe(200);
    const rt2 = decodeJwt(again.body.refresh_token);
    expect(rt2.exp!).toBeGreaterThan(rt.exp!);
    const s2 = (await r.api('GET', `/sessions/${sid}`)).body.session;
    expect(Date.parse(s2.expiresAt)).toBeGreaterThan(Date.parse(s.expiresAt));
  });

  it('is capped by SSO Session Max', async () => {
    const r = await makeRealm(t, { ssoSessionIdle: 30, ssoSessionMax: 31 }, [direct]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    await sleep(1500);
    const again = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    const rt = decodeJwt(again.body.refresh_token);
    const s = (await r.api('GET', `/sessions/${rt.sid}`)).body.session;
    expect(rt.exp).toBe(Math.floor(Date.parse(s.maxExpiresAt) / 1000));
  });
});

describe('Revoke Refresh Token and Refresh Token Max Reuse', () => {
  it('off (the default): a confidential client\'s refresh token may be used again', async () => {
    const r = await makeRealm(t, {}, [confidential]);
    const secret = r.secrets.backend!;
    const tok = await passwordGrant(t, r.realm, 'backend', secret, r.user);
    for (let i = 0; i < 3; i++) expect((await refreshGrant(t, r.realm, 'backend', secret, tok.refresh_token)).status).toBe(200);
  });

  it('on with Max Reuse 0: a second use is invalid_grant and ends that client\'s session only', async () => {
    const r = await makeRealm(t, { revokeRefreshToken: true, refreshTokenMaxReuse: 0 }, [direct]);
    const other = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const sid = String(decodeJwt(tok.refresh_token).sid);
    const first = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect(first.status).toBe(200);
    const second = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    // the session is over: even the newest token no longer works
    expect((await refreshGrant(t, r.realm, 'app', undefined, first.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await r.api('GET', `/sessions/${sid}`)).status).toBe(404);
    // the user's other session is untouched
    expect((await refreshGrant(t, r.realm, 'app', undefined, other.refresh_token)).status).toBe(200);
    const events = await streamEvents(t, r.realm);
    expect(events.some((e) => e.name === 'token.reuse_detected' && e.sessionId === sid)).toBe(true);
    expect(events.find((e) => e.name === 'session.terminated' && e.sessionId === sid)?.data.cause).toBe('refresh_token_reuse');
  });

  it('on with Max Reuse 2: a confidential client\'s token may be used 3 times, not 4', async () => {
    const r = await makeRealm(t, { revokeRefreshToken: true, refreshTokenMaxReuse: 2 }, [confidential]);
    const secret = r.secrets.backend!;
    const tok = await passwordGrant(t, r.realm, 'backend', secret, r.user);
    for (let i = 0; i < 3; i++) expect((await refreshGrant(t, r.realm, 'backend', secret, tok.refresh_token)).status).toBe(200);
    const fourth = await refreshGrant(t, r.realm, 'backend', secret, tok.refresh_token);
    expect(fourth.body.error).toBe('invalid_grant');
  });

  it('on: an older token after a newer one was used is invalid_grant', async () => {
    const r = await makeRealm(t, { revokeRefreshToken: true, refreshTokenMaxReuse: 5 }, [direct]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const t2 = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect((await refreshGrant(t, r.realm, 'app', undefined, t2.body.refresh_token)).status).toBe(200);
    const stale = await refreshGrant(t, r.realm, 'app', undefined, tok.refresh_token);
    expect(stale.body.error).toBe('invalid_grant');
  });

  it('refuses a refresh token presented by another client', async () => {
    const r = await makeRealm(t, {}, [direct, { ...direct, clientId: 'other' }]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const res = await refreshGrant(t, r.realm, 'other', undefined, tok.refresh_token);
    expect(res.body.error).toBe('invalid_grant');
  });
});
