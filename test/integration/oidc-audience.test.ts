/**
 * The audience rule on Vigil's own API (CONTRACT.md, "Identities and credentials"; RFC 9700
 * §2.3): an admin who signs in to an unrelated app through Vigil's OIDC does not hand that app
 * an admin credential. Its access token acts only as its own session (me, activity, extend,
 * logout, the `self` topic) unless the client is granted API roles (`apiRoles`); then it has the
 * strongest role the user holds that the client is granted.
 *
 * The OIDC resolver sets the principal (roles, sessionOnly); the REST guard and the real-time
 * hub enforce it on every route and topic. Run on real routes, as a relying party would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient } from '../helpers/clients.js';
import { createClient, decodeJwt, passwordGrant } from './oidc-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await createClient(t, { clientId: 'unrelated-app', publicClient: true, directAccessGrantsEnabled: true });
  await createClient(t, { clientId: 'monitor-app', publicClient: true, directAccessGrantsEnabled: true, apiRoles: ['viewer'] });
  await createClient(t, { clientId: 'admin-console', publicClient: true, directAccessGrantsEnabled: true, apiRoles: ['admin'] });
});
afterAll(async () => t?.close());

const admin = () => ({ username: t.adminUsername, password: t.adminPassword });
const tokenFor = async (clientId: string) => (await passwordGrant(t, 'default', clientId, undefined, admin())).access_token as string;

describe('an access token of an app without API roles, for an admin', () => {
  it('cannot create or list users, list realms or sessions, or change the policy', async () => {
    const token = await tokenFor('unrelated-app');
    // soft: each route is its own check, and a failure names every route that let the token in
    const refused = async (method: string, path: string, body?: unknown) => {
      const r = await t.api(method, path, { token, body });
      expect.soft({ route: `${method} ${path}`, status: r.status, code: r.body?.code }).toEqual({ route: `${method} ${path}`, status: 403, code: 'VIGIL_ERR_FORBIDDEN' });
    };
    await refused('POST', '/users', { username: 'mallory', password: 'mallory-password', roles: ['admin'] });
    await refused('GET', '/users');
    await refused('GET', '/api/v1/realms');
    await refused('GET', '/sessions');
    await refused('PATCH', '/policy', { expiryPromptSeconds: 10 });
    // nothing was created
    expect((await t.api('GET', '/users/mallory', { token: t.adminToken })).status).toBe(404);
  });

  it('still works as its own session: me and activity', async () => {
    const token = await tokenFor('unrelated-app');
    const me = await t.api('GET', '/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.session.id).toBe(decodeJwt(token).sid);
    expect(me.body.session.kind).toBe('sso');
    expect((await t.api('POST', '/sessions/current/activity', { token })).status).toBe(204);
  });

  it('may watch its own session in real time but not every session of the realm', async () => {
    const token = await tokenFor('unrelated-app');
    const c = new WsClient(`${t.wsUrl}/ws?realm=default`, { token });
    try {
      await c.opened;
      c.send({ type: 'subscribe', topic: 'sessions', ref: 'all' });
      const refused = await c.waitFor((m) => m.type === 'error' && m.ref === 'all');
      expect(refused.code).toBe('VIGIL_ERR_FORBIDDEN');
      c.send({ type: 'subscribe', topic: 'self', ref: 'mine' });
      await c.waitFor((m) => (m.type === 'snapshot' || m.type === 'synced') && m.topic === 'self');
      expect(c.messages.some((m) => m.type === 'error' && m.ref === 'mine')).toBe(false);
    } finally {
      c.close();
    }
  });
});

describe('an access token of an app granted API roles', () => {
  it('with apiRoles ["viewer"], reads sessions but cannot create users', async () => {
    const token = await tokenFor('monitor-app');
    expect((await t.api('GET', '/sessions', { token })).status).toBe(200);
    expect((await t.api('POST', '/users', { token, body: { username: 'mallory2', password: 'mallory-password', roles: ['user'] } })).status).toBe(403);
  });

  it('with apiRoles ["admin"], acts as the admin it signed in', async () => {
    const token = await tokenFor('admin-console');
    expect((await t.api('POST', '/users', { token, body: { username: 'created-by-console', password: 'console-password', roles: ['user'] } })).status).toBe(201);
    expect((await t.api('GET', '/sessions', { token })).status).toBe(200);
  });
});
