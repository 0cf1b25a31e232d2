/** Realm management: only an admin of realm default creates and deletes realms; each realm is its own world. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient } from '../helpers/clients.js';
import { decodeJwt, makeRealm, passwordGrant } from './oidc-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('realms API', () => {
  it('creates a realm with its own admin, lists it, and refuses a duplicate', async () => {
    const r = await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm: 'acme', admin: { username: 'root', password: 'root-password' }, policy: { ssoSessionIdle: 900 } } });
    expect(r.status).toBe(201);
    expect(r.body.realm).toMatchObject({ realm: 'acme', admin: { username: 'root' } });
    expect(r.body.realm.policy.ssoSessionIdle).toBe(900);
    const list = await t.api('GET', '/api/v1/realms', { token: t.adminToken });
    expect(list.body.realms.map((x: { realm: string }) => x.realm)).toEqual(expect.arrayContaining(['default', 'acme']));
    expect((await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm: 'acme' } })).status).toBe(409);
    // the new realm's admin signs into that realm, not into default
    expect((await t.api('POST', '/api/v1/realms/acme/login', { body: { username: 'root', password: 'root-password' } })).status).toBe(201);
    expect((await t.api('POST', '/api/v1/realms/default/login', { body: { username: 'root', password: 'root-password' } })).status).toBe(401);
  });

  it('validates the name and the policy', async () => {
    expect((await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm: 'Bad Name' } })).body.code).toBe('VIGIL_ERR_VALIDATION');
    const bad = await t.api('POST', '/api/v1/realms', { token: t.adminToken, body: { realm: 'okname', policy: { ssoSessionIdle: 1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('ssoSessionIdle');
    expect((await t.api('GET', '/api/v1/realms/okname/policy', { token: t.adminToken })).status).toBe(404);
  });

  it('is only for admins of realm default', async () => {
    expect((await t.api('GET', '/api/v1/realms')).status).toBe(401);
    await t.createUser('viewer1', { roles: ['viewer'] });
    const v = await t.login('viewer1', 'viewer1-password');
    expect((await t.api('POST', '/api/v1/realms', { token: v.token, body: { realm: 'nope' } })).status).toBe(403);
    const r = await makeRealm(t, {});
    // an admin of another realm is not an admin of default
    expect((await t.api('GET', '/api/v1/realms', { token: r.admin })).status).toBe(401);
    expect((await t.api('DELETE', `/api/v1/realms/${r.realm}`, { token: r.admin })).status).toBe(401);
  });

  it('keeps realms apart: users, clients and tokens of one realm mean nothing in another', async () => {
    const a = await makeRealm(t, {}, [{ clientId: 'app', publicClient: true, directAccessGrantsEnabled: true }]);
    const b = await makeRealm(t, {}, []);
    const tok = await passwordGrant(t, a.realm, 'app', undefined, a.user);
    expect((await t.api('GET', `/api/v1/realms/${a.realm}/me`, { token: tok.access_token })).status).toBe(200);
    expect((await t.api('GET', `/api/v1/realms/${b.realm}/me`, { token: tok.access_token })).status).toBe(401);
    expect((await t.api('GET', `/api/v1/realms/${b.realm}/clients/app`, { token: b.admin })).status).toBe(404);
    const certsA = await t.api('GET', `/realms/${a.realm}/protocol/openid-connect/certs`);
    const certsB = await t.api('GET', `/realms/${b.realm}/protocol/openid-connect/certs`);
    expect(certsA.body.keys[0].kid).not.toBe(certsB.body.keys[0].kid);
  });

  it('deleting a realm terminates its sessions with their final events and removes every key but its expiring event stream', async () => {
    const r = await makeRealm(t, {}, [{ clientId: 'app', publicClient: true, directAccessGrantsEnabled: true }]);
    const tok = await passwordGrant(t, r.realm, 'app', undefined, r.user);
    const sid = String(decodeJwt(tok.access_token).sid);
    const self = new WsClient(`${t.wsUrl}/ws?realm=${r.realm}`, { token: tok.access_token });
    await self.opened;
    self.send({ type: 'subscribe', topic: 'self' });
    await self.waitFor((m) => m.type === 'snapshot');
    expect((await t.api('DELETE', `/api/v1/realms/${r.realm}`, { token: t.adminToken })).status).toBe(204);
    const ended = await self.waitForEvent('session.terminated', sid);
    expect(ended.data.reason).toBe('admin');
    expect((await self.closed).code).toBe(4401);
    // only the event stream is left, expiring, so that every process can deliver the final events
    const stream = t.app.keys.events(r.realm);
    const left = await t.app.redis.keys(t.app.keys.realmPattern(r.realm));
    expect(left).toEqual([stream]);
    const ttl = await t.app.redis.ttl(stream);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    expect((await t.api('GET', `/realms/${r.realm}/.well-known/openid-configuration`)).status).toBe(404);
    expect((await t.api('DELETE', `/api/v1/realms/${r.realm}`, { token: t.adminToken })).status).toBe(404);
  });

  it('never deletes realm default', async () => {
    const r = await t.api('DELETE', '/api/v1/realms/default', { token: t.adminToken });
    expect(r.status).toBe(409);
  });
});

describe('clients API', () => {
  it('creates, reads, patches and deletes clients, validating exact redirect URIs', async () => {
    const body = { clientId: 'web', publicClient: true, redirectUris: ['https://app.example/cb'] };
    const c = await t.api('POST', '/clients', { token: t.adminToken, body });
    expect(c.status).toBe(201);
    expect(c.body.client).toMatchObject({ ...body, standardFlowEnabled: true, implicitFlowEnabled: false, directAccessGrantsEnabled: false, accessTokenLifespan: null });
    expect(c.body.client.secret).toBeUndefined();
    expect((await t.api('POST', '/clients', { token: t.adminToken, body })).status).toBe(409);
    expect((await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'w2', redirectUris: ['https://app.example/*'] } })).status).toBe(400);
    expect((await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'w3', accessTokenLifespan: 0 } })).status).toBe(400);
    const p = await t.api('PATCH', '/clients/web', { token: t.adminToken, body: { accessTokenLifespan: 120, implicitFlowEnabled: true } });
    expect(p.body.client).toMatchObject({ accessTokenLifespan: 120, implicitFlowEnabled: true });
    expect((await t.api('GET', '/clients', { token: t.adminToken })).body.clients.map((x: { clientId: string }) => x.clientId)).toContain('web');
    const made = await t.api('PATCH', '/clients/web', { token: t.adminToken, body: { publicClient: false } });
    expect(typeof made.body.client.secret).toBe('string');
    expect((await t.api('DELETE', '/clients/web', { token: t.adminToken })).status).toBe(204);
    expect((await t.api('GET', '/clients/web', { token: t.adminToken })).status).toBe(404);
  });

  it('is for admins only', async () => {
    await t.createUser('plain');
    const u = await t.login('plain', 'plain-password');
    expect((await t.api('GET', '/clients', { token: u.token })).status).toBe(403);
    expect((await t.api('POST', '/clients', { token: u.token, body: { clientId: 'x' } })).status).toBe(403);
  });
});
