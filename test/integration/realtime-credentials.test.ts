/**
 * A real-time connection lives no longer than its credential (CONTRACT.md, Identities and
 * credentials): an OIDC access token's connection closes 4401 at the token's `exp` unless the
 * client sends a fresh token of the same session first, and at once when the token is revoked;
 * an access token of an application acts only as its own session; anonymous /ws sockets per
 * address are bounded; Socket.IO clients hear 1001 at shutdown as /ws clients do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient, sleep } from '../helpers/clients.js';
import { createClient, form, passwordGrant, refreshGrant } from './oidc-support.js';

let t: TestApp;
let secret: string;
let longSecret: string;
const alice = { username: 'alice', password: 'alice-password' };
/** Seconds an access token of client `short` lives. */
const LIFESPAN = 3;

beforeAll(async () => {
  t = await startTestApp({ env: { VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '1000' } });
  await t.createUser('alice');
  const c = await createClient(t, { clientId: 'short', publicClient: false, directAccessGrantsEnabled: true, standardFlowEnabled: false, redirectUris: [], accessTokenLifespan: LIFESPAN });
  secret = c.secret!;
  longSecret = (await createClient(t, { clientId: 'long', publicClient: false, directAccessGrantsEnabled: true, standardFlowEnabled: false, redirectUris: [], accessTokenLifespan: 300 })).secret!;
});
afterAll(async () => t?.close());

const grant = () => passwordGrant(t, 'default', 'short', secret, alice);
const closedAt = (c: WsClient) => c.closed.then((x) => ({ ...x, at: Date.now() }));
const sioClosed = (c: SioClient) => c.waitFor((m) => typeof (m as { code?: unknown }).code === 'number', 30_000, 'a close event') as Promise<unknown> as Promise<{ code: number; reason: string }>;

describe('a connection opened with an OIDC access token', () => {
  it('over /ws, says in hello when the token ends and closes 4401 then, not before', async () => {
    const tokens = await grant();
    const c = new WsClient(`${t.wsUrl}/ws`, { token: tokens.access_token });
    const closed = closedAt(c);
    const hello = await c.waitFor((m) => m.type === 'hello');
    const expiresAt = Date.parse(hello.expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now());
    c.send({ type: 'subscribe', topic: 'self' });
    await c.waitFor((m) => m.type === 'snapshot');
    const { code, at } = await closed;
    expect(code).toBe(4401);
    expect(at).toBeGreaterThanOrEqual(expiresAt - 5);
    // REST agrees: the token is dead
    expect((await t.api('GET', '/me', { token: tokens.access_token })).status).toBe(401);
  });

  it('over /ws, stays open past exp after an auth message with a fresh token of the same session', async () => {
    const tokens = await grant();
    const c = new WsClient(`${t.wsUrl}/ws`, { token: tokens.access_token });
    const closed = closedAt(c);
    const first = Date.parse((await c.waitFor((m) => m.type === 'hello')).expiresAt);
    await sleep(1000);
    const fresh = (await refreshGrant(t, 'default', 'short', secret, tokens.refresh_token)).body;
    c.send({ type: 'auth', token: fresh.access_token, ref: 'refresh' });
    const ack = await c.waitFor((m) => m.type === 'ack' && m.ref === 'refresh');
    const second = Date.parse(ack.expiresAt);
    expect(second).toBeGreaterThan(first);
    await sleep(first - Date.now() + 700);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    const { code, at } = await closed;
    expect(code).toBe(4401);
    expect(at).toBeGreaterThanOrEqual(second - 5);
  });

  it('over /ws, refuses a fresh token of another session and keeps the connection as it was', async () => {
    const mine = await grant();
    const other = await grant();
    const c = new WsClient(`${t.wsUrl}/ws`, { token: mine.access_token });
    await c.waitFor((m) => m.type === 'hello');
    c.send({ type: 'auth', token: other.access_token, ref: 'x' });
    expect(await c.waitFor((m) => m.type === 'error' && m.ref === 'x')).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    c.send({ type: 'auth', token: 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA', ref: 'y' });
    expect(await c.waitFor((m) => m.type === 'error' && m.ref === 'y')).toMatchObject({ code: 'VIGIL_ERR_UNAUTHENTICATED' });
    expect((await c.closed).code).toBe(4401); // still at the first token's exp
  });

  it('over Socket.IO, closes 4401 at exp unless an auth event brings a fresh token', async () => {
    const a = await grant();
    const expiring = new SioClient(t.url, { token: a.access_token });
    const hello = await expiring.waitFor((m) => m.type === 'hello');
    expect(hello.expiresAt).not.toBeNull();
    expect(await sioClosed(expiring)).toMatchObject({ code: 4401 });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(hello.expiresAt) - 5);

    const b = await grant();
    const kept = new SioClient(t.url, { token: b.access_token });
    const first = Date.parse((await kept.waitFor((m) => m.type === 'hello')).expiresAt);
    await sleep(1000);
    const fresh = (await refreshGrant(t, 'default', 'short', secret, b.refresh_token)).body;
    const ack = await kept.request('auth', { token: fresh.access_token });
    expect(ack).toMatchObject({ ok: true });
    expect(Date.parse(ack.expiresAt)).toBeGreaterThan(first);
    await sleep(first - Date.now() + 700);
    expect(kept.socket.connected).toBe(true);
    expect(await sioClosed(kept)).toMatchObject({ code: 4401 });
    kept.close();
  });

  it('closes 4401 as soon as the token is revoked (RFC 7009), over /ws and Socket.IO', async () => {
    const tokens = await passwordGrant(t, 'default', 'long', longSecret, alice);
    const ws = new WsClient(`${t.wsUrl}/ws`, { token: tokens.access_token });
    const sio = new SioClient(t.url, { token: tokens.access_token });
    await ws.waitFor((m) => m.type === 'hello');
    await sio.waitFor((m) => m.type === 'hello');
    const revokedAt = Date.now();
    const r = await form(t, '/realms/default/protocol/openid-connect/revoke', { token: tokens.access_token, token_type_hint: 'access_token', client_id: 'long', client_secret: longSecret });
    expect(r.status).toBe(200);
    const [wsClose, sioClose] = await Promise.all([closedAt(ws), sioClosed(sio)]);
    expect(wsClose.code).toBe(4401);
    expect(sioClose.code).toBe(4401);
    // by the revocation, not by the token's own end five minutes later
    expect(wsClose.at - revokedAt).toBeLessThan(60_000);
    expect((await t.api('GET', '/me', { token: tokens.access_token })).status).toBe(401);
    sio.close();
  });

  it('acts only as its own session: the self topic, activity and extend work, the sessions topic is forbidden', async () => {
    await t.createUser('root', { roles: ['admin'] });
    const tokens = await passwordGrant(t, 'default', 'short', secret, { username: 'root', password: 'root-password' });
    const c = new WsClient(`${t.wsUrl}/ws`, { token: tokens.access_token });
    const hello = await c.waitFor((m) => m.type === 'hello');
    expect(hello.role).toBe('user');
    c.send({ type: 'subscribe', topic: 'sessions', ref: 's' });
    expect(await c.waitFor((m) => m.type === 'error' && m.ref === 's')).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    c.send({ type: 'subscribe', topic: 'self', ref: 'me' });
    expect(await c.waitFor((m) => m.type === 'snapshot' && m.ref === 'me')).toMatchObject({ topic: 'self' });
    c.send({ type: 'activity', ref: 'a' });
    expect(await c.waitFor((m) => m.ref === 'a')).toMatchObject({ type: 'ack', ok: true });
    c.close();
  });
});

describe('connections that have not authenticated', () => {
  it('are at most 100 per address; the next upgrade is refused with 429 until one authenticates', async () => {
    const waiting: WsClient[] = [];
    for (let i = 0; i < 100; i++) waiting.push(new WsClient(`${t.wsUrl}/ws`));
    await Promise.all(waiting.map((c) => c.opened));
    const refused = new WsClient(`${t.wsUrl}/ws`);
    await expect(refused.opened).rejects.toThrow(/429/);
    waiting[0]!.send({ type: 'auth', token: t.adminToken });
    await waiting[0]!.waitFor((m) => m.type === 'hello');
    const next = new WsClient(`${t.wsUrl}/ws`);
    await next.opened;
    for (const c of [...waiting, next]) c.ws.terminate();
  });
});

describe('shutdown', () => {
  it('tells Socket.IO clients close {code: 1001} before the disconnect, as /ws clients get 1001', async () => {
    const other = await startTestApp();
    const sio = new SioClient(other.url, { token: other.adminToken });
    const ws = new WsClient(`${other.wsUrl}/ws`, { token: other.adminToken });
    await sio.waitFor((m) => m.type === 'hello');
    await ws.waitFor((m) => m.type === 'hello');
    const gone = new Promise<string>((resolve) => sio.socket.on('disconnect', (reason) => resolve(reason)));
    await other.close();
    expect(await sioClosed(sio)).toMatchObject({ code: 1001 });
    expect(await gone).toBe('io server disconnect');
    expect((await ws.closed).code).toBe(1001);
  });
});
