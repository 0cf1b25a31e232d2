/**
 * OIDC Back-Channel Logout 1.0: a client with `backchannelLogoutUrl` gets a `logout_token`
 * POSTed (application/x-www-form-urlencoded) when an SSO session it took part in ends — by
 * logout, by an admin's termination, by idle expiry, by refresh-token reuse — without anyone
 * acting; the token is verified with `jose` against the realm's JWKS. Discovery announces it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver, until, type Received } from '../helpers/receiver.js';
import { createClient, passwordGrant, refreshGrant } from './oidc-support.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let t: TestApp;
let rec: Receiver;
let client: { clientId: string; secret?: string };
const alice = { username: 'alice', password: 'alice-password' };

beforeAll(async () => {
  // an SSO session idles out 10 s after its last activity
  t = await startTestApp({ env: { VIGIL_WEBHOOK_ALLOW_PRIVATE: '1' }, policy: { expiryPromptSeconds: 5, ssoSessionIdle: 10 } });
  rec = await new Receiver().start();
  client = await createClient(t, { clientId: 'bcl-app', directAccessGrantsEnabled: true, backchannelLogoutUrl: rec.url });
  await t.createUser(alice.username, { password: alice.password });
});
afterAll(async () => {
  await rec?.stop();
  await t?.close();
});

async function logoutTokenFor(sid: string): Promise<{ r: Received; claims: Record<string, unknown> }> {
  const jwks = createRemoteJWKSet(new URL(`${t.url}/realms/default/protocol/openid-connect/certs`));
  let found: { r: Received; claims: Record<string, unknown> } | null = null;
  await until(async () => {
    for (const r of rec.received) {
      const token = new URLSearchParams(r.body).get('logout_token');
      if (!token) continue;
      const { payload } = await jwtVerify(token, jwks, { issuer: `${t.url}/realms/default`, audience: client.clientId });
      if (payload.sid === sid) found = { r, claims: payload as Record<string, unknown> };
    }
    return found !== null;
  }, 20_000, `a logout token for ${sid}`);
  return found!;
}

function checkToken({ r, claims }: { r: Received; claims: Record<string, unknown> }, sid: string, sub: string): void {
  expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
  expect(claims).toMatchObject({ iss: `${t.url}/realms/default`, aud: client.clientId, sub, sid, events: { [EVENT]: {} } });
  expect(claims).not.toHaveProperty('nonce');
  expect(typeof claims.jti).toBe('string');
  expect(claims.iat).toBeTypeOf('number');
  expect(Number(claims.exp)).toBeGreaterThan(Number(claims.iat));
  expect(decodeProtectedHeader(new URLSearchParams(r.body).get('logout_token')!).typ).toBe('logout+jwt');
}

describe('OIDC back-channel logout', () => {
  it('is announced by discovery', async () => {
    const d = await (await fetch(`${t.url}/realms/default/.well-known/openid-configuration`)).json();
    expect(d.backchannel_logout_supported).toBe(true);
    expect(d.backchannel_logout_session_supported).toBe(true);
  });

  it('keeps the client\'s backchannelLogoutUrl', async () => {
    const r = await t.api('GET', `/clients/${client.clientId}`, { token: t.adminToken });
    expect(r.body.client.backchannelLogoutUrl).toBe(rec.url);
  });

  it('sends a logout token when the user logs out', async () => {
    const tokens = await passwordGrant(t, 'default', client.clientId, client.secret, alice);
    const me = await t.api('GET', '/me', { token: tokens.access_token });
    const sid = tokens.session_state as string;
    expect((await t.api('POST', '/logout', { token: tokens.access_token })).status).toBe(204);
    checkToken(await logoutTokenFor(sid), sid, me.body.user.id);
  });

  it('sends a logout token when an admin terminates the session', async () => {
    const tokens = await passwordGrant(t, 'default', client.clientId, client.secret, alice);
    const sid = tokens.session_state as string;
    expect((await t.api('DELETE', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(204);
    const got = await logoutTokenFor(sid);
    checkToken(got, sid, String(got.claims.sub));
  });

  it('sends a logout token when an offline session is terminated', async () => {
    const tokens = await passwordGrant(t, 'default', client.clientId, client.secret, alice, 'openid offline_access');
    const sid = tokens.session_state as string;
    expect((await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).body.session.kind).toBe('offline');
    expect((await t.api('DELETE', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(204);
    const got = await logoutTokenFor(sid);
    checkToken(got, sid, String(got.claims.sub));
  });

  it('sends none for a console session, or a client without a back-channel URL', async () => {
    const other = await createClient(t, { clientId: 'quiet-app', directAccessGrantsEnabled: true });
    const quiet = await passwordGrant(t, 'default', other.clientId, other.secret, alice);
    const consoleSession = await t.login(alice.username, alice.password);
    await t.api('POST', '/logout', { token: quiet.access_token });
    await t.api('POST', '/logout', { token: consoleSession.token });
    // a marker after them: once its token has come, theirs would have too
    const marker = await passwordGrant(t, 'default', client.clientId, client.secret, alice);
    await t.api('POST', '/logout', { token: marker.access_token });
    await logoutTokenFor(marker.session_state);
    const sids = rec.received.map((r) => JSON.parse(Buffer.from(new URLSearchParams(r.body).get('logout_token')!.split('.')[1]!, 'base64url').toString()).sid);
    expect(sids).not.toContain(quiet.session_state);
    expect(sids).not.toContain(consoleSession.session.id);
  });

  it('sends a logout token when the session idles out, with nobody acting', async () => {
    const started = Date.now();
    const tokens = await passwordGrant(t, 'default', client.clientId, client.secret, alice);
    const sid = tokens.session_state as string;
    const got = await logoutTokenFor(sid);
    checkToken(got, sid, String(got.claims.sub));
    // it came when the session idled out, not before
    expect(got.r.at - started).toBeGreaterThanOrEqual(9_000);
    expect((await t.api('GET', `/sessions/${sid}`, { token: t.adminToken })).status).toBe(404);
  });

  it('sends a logout token when a reused refresh token ends the session', async () => {
    await t.api('PATCH', '/policy', { token: t.adminToken, body: { revokeRefreshToken: true } });
    const tokens = await passwordGrant(t, 'default', client.clientId, client.secret, alice);
    const sid = tokens.session_state as string;
    expect((await refreshGrant(t, 'default', client.clientId, client.secret, tokens.refresh_token)).status).toBe(200);
    expect((await refreshGrant(t, 'default', client.clientId, client.secret, tokens.refresh_token)).status).toBe(400);
    const got = await logoutTokenFor(sid);
    checkToken(got, sid, String(got.claims.sub));
  });

  it('retries a receiver that fails', async () => {
    const flaky = await new Receiver().start();
    flaky.respond = (n) => (n < 2 ? 500 : 200);
    t.app.outbound.options.firstRetryMs = 200;
    try {
      await t.api('PATCH', `/clients/${client.clientId}`, { token: t.adminToken, body: { backchannelLogoutUrl: flaky.url } });
      const tokens = await passwordGrant(t, 'default', client.clientId, client.secret, alice);
      await t.api('POST', '/logout', { token: tokens.access_token });
      await until(() => flaky.received.length === 1, 15_000, 'the third attempt');
      expect(flaky.requests).toBe(3);
      expect(new URLSearchParams(flaky.received[0]!.body).get('logout_token')).toBeTruthy();
    } finally {
      await t.api('PATCH', `/clients/${client.clientId}`, { token: t.adminToken, body: { backchannelLogoutUrl: rec.url } });
      await flaky.stop();
    }
  });
});
