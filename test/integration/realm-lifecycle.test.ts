/**
 * Realm-wide consequences that cross the OIDC and real-time layers: deleting a realm closes its
 * live connections after their final events, and a REST write made with an OIDC access token
 * counts as activity on its SSO session, as one made with a session token does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient, sleep } from '../helpers/clients.js';
import { makeRealm, passwordGrant } from './oidc-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('deleting a realm', () => {
  it('ends its sessions and closes its sockets, walls included, after their final events', async () => {
    const r = await makeRealm(t, {});
    const key = (await t.api('POST', `/api/v1/realms/${r.realm}/display-keys`, { token: r.admin, body: {} })).body.displayKey.key;
    const self = new WsClient(`${t.wsUrl}/ws?realm=${r.realm}`, { token: r.admin });
    const wall = new WsClient(`${t.wsUrl}/ws?realm=${r.realm}`, { token: key });
    await Promise.all([self.opened, wall.opened]);
    self.send({ type: 'subscribe', topic: 'self' });
    wall.send({ type: 'subscribe', topic: 'sessions' });
    await Promise.all([self.waitFor((m) => m.type === 'snapshot'), wall.waitFor((m) => m.type === 'snapshot')]);

    expect((await t.api('DELETE', `/api/v1/realms/${r.realm}`, { token: t.adminToken })).status).toBe(204);
    expect((await self.waitForEvent('session.terminated')).data).toMatchObject({ reason: 'admin' });
    expect((await self.closed).code).toBe(4401);
    expect((await wall.closed).code).toBe(4401);
    expect(wall.events().some((e) => e.name === 'realm.deleted')).toBe(true);
    expect((await t.api('GET', `/api/v1/realms/${r.realm}/stats`, { token: key })).status).toBe(404);
  });
});

describe('an OIDC access token on the REST API', () => {
  it('counts a state-changing request as activity on its SSO session, and a read does not', async () => {
    const r = await makeRealm(t, {}, [{ clientId: 'cli', publicClient: false, directAccessGrantsEnabled: true, standardFlowEnabled: false, redirectUris: [] }]);
    const tokens = await passwordGrant(t, r.realm, 'cli', r.secrets.cli, { username: 'alice', password: 'alice-password' });
    const me = async () => (await t.api('GET', `/api/v1/realms/${r.realm}/me`, { token: tokens.access_token })).body.session;
    const before = await me();
    expect(before.kind).toBe('sso');
    await sleep(1100);
    expect((await me()).lastActivityAt).toBe(before.lastActivityAt);
    expect((await t.api('POST', `/api/v1/realms/${r.realm}/sessions/current/activity`, { token: tokens.access_token })).status).toBe(204);
    expect(Date.parse((await me()).lastActivityAt)).toBeGreaterThan(Date.parse(before.lastActivityAt));
  });
});
