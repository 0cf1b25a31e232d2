/**
 * The realm policy's maxSessionsPerUser over every way a session starts (REST /login,
 * POST /sessions, the OIDC login page, the password grant, offline sessions): deny-new refuses
 * the sign-in (409 VIGIL_ERR_SESSION_LIMIT; OIDC access_denied with a page that says why),
 * terminate-oldest ends the oldest session (session.terminated, reason session-limit), whose
 * `self` subscriber gets that event and then 4401. Parallel sign-ins never pass the limit:
 * the check is in the script that starts the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SioClient, WsClient } from '../helpers/clients.js';
import { Browser, REDIRECT, form, makeRealm, oc, openLogin, passwordGrant, submit, tokenPath, type TestRealm } from './oidc-support.js';
import { CLOSE } from '../../shared/protocol.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const spa = { clientId: 'spa', publicClient: true, directAccessGrantsEnabled: true };

async function liveSessions(r: TestRealm): Promise<string[]> {
  const res = await r.api('GET', `/sessions?user=${r.user.username}&limit=1000`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.sessions.map((s: { id: string }) => s.id);
}

const restLogin = (r: TestRealm) => t.api('POST', `/api/v1/realms/${r.realm}/login`, { body: r.user });

async function streamOf(r: TestRealm) {
  return (await t.api('GET', `/api/v1/realms/${r.realm}/events?limit=1000`, { token: r.admin })).body.events as Array<{ name: string; sessionId: string | null; data: any }>;
}

async function authUrl(realm: string, scope = 'openid'): Promise<string> {
  const challenge = await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier());
  return `${t.url}/realms/${realm}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'spa', redirect_uri: REDIRECT, response_type: 'code', scope, code_challenge: challenge, code_challenge_method: 'S256', state: 'st-1' })}`;
}

/** Signs in on the OIDC login page in a fresh browser; the redirect or the page it answered. */
async function pageLogin(r: TestRealm, scope = 'openid') {
  const b = new Browser(t.url);
  return submit(b, await openLogin(b, await authUrl(r.realm, scope)), r.user);
}

describe('the policy fields', () => {
  it('default to unlimited and terminate-oldest', async () => {
    const p = (await t.api('GET', '/policy', { token: t.adminToken })).body.policy;
    expect(p).toMatchObject({ maxSessionsPerUser: 0, sessionLimitBehavior: 'terminate-oldest' });
  });

  it('are validated, naming the field and the rule', async () => {
    const neg = await t.api('PATCH', '/policy', { token: t.adminToken, body: { maxSessionsPerUser: -1 } });
    expect(neg.status).toBe(400);
    expect(neg.body.message).toMatch(/^maxSessionsPerUser must be an integer from 0 to 10000/);
    const frac = await t.api('PATCH', '/policy', { token: t.adminToken, body: { maxSessionsPerUser: 1.5 } });
    expect(frac.body.message).toMatch(/^maxSessionsPerUser must be an integer/);
    const odd = await t.api('PATCH', '/policy', { token: t.adminToken, body: { sessionLimitBehavior: 'kick-random' } });
    expect(odd.status).toBe(400);
    expect(odd.body.message).toBe('sessionLimitBehavior must be one of deny-new, terminate-oldest');
    const ok = await t.api('PATCH', '/policy', { token: t.adminToken, body: { maxSessionsPerUser: 0, sessionLimitBehavior: 'deny-new' } });
    expect(ok.body.policy).toMatchObject({ maxSessionsPerUser: 0, sessionLimitBehavior: 'deny-new' });
    await t.api('PATCH', '/policy', { token: t.adminToken, body: { sessionLimitBehavior: 'terminate-oldest' } });
  });
});

describe('deny-new', () => {
  it('refuses a REST sign-in past the limit with 409 VIGIL_ERR_SESSION_LIMIT, and lets one in again once a session ends', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 2, sessionLimitBehavior: 'deny-new' });
    const a = await restLogin(r);
    const b = await restLogin(r);
    expect([a.status, b.status]).toEqual([201, 201]);
    const c = await restLogin(r);
    expect(c.status).toBe(409);
    expect(c.body).toMatchObject({ statusCode: 409, code: 'VIGIL_ERR_SESSION_LIMIT' });
    expect(await liveSessions(r)).toEqual([a.body.session.id, b.body.session.id]);
    // an application minting a session for the user is held to the same limit
    const minted = await r.api('POST', '/sessions', { username: r.user.username });
    expect(minted.status).toBe(409);
    expect(minted.body.code).toBe('VIGIL_ERR_SESSION_LIMIT');
    const events = await streamOf(r);
    expect(events.filter((e) => e.name === 'login.failed' && e.data.reason === 'session_limit')).toHaveLength(1);
    expect(events.some((e) => e.name === 'session.terminated')).toBe(false);
    expect((await t.api('POST', `/api/v1/realms/${r.realm}/logout`, { token: a.body.token })).status).toBe(204);
    expect((await restLogin(r)).status).toBe(201);
  });

  it('lets no more than the limit in when many sign in at once', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 3, sessionLimitBehavior: 'deny-new' });
    // (at most 10 password checks of one user are in flight at once: the attempt limit)
    const answers = await Promise.all(Array.from({ length: 9 }, () => restLogin(r)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(6);
    expect(await liveSessions(r)).toHaveLength(3);
  });

  it('answers the OIDC login page with access_denied and a page that says why', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 1, sessionLimitBehavior: 'deny-new' }, [spa]);
    const first = await pageLogin(r);
    expect(first.status).toBe(302);
    expect(new URL(first.location!).searchParams.get('code')).toBeTruthy();
    const second = await pageLogin(r);
    expect(second.status).toBe(403);
    expect(second.location).toBeUndefined();
    expect(second.page).toMatch(/role="alert"[^>]*>Sign-in refused \(access_denied\): you already have 1 active session, the most this realm allows per user \(the session limit\)/);
    const back = /<a href="([^"]+)">Back to the application<\/a>/.exec(second.page!)?.[1]?.replace(/&amp;/g, '&');
    const url = new URL(back!);
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('st-1');
    expect(await liveSessions(r)).toHaveLength(1);
  });

  it('answers the password grant and offline sessions with access_denied, every kind counting', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 2, sessionLimitBehavior: 'deny-new' }, [spa]);
    expect((await restLogin(r)).status).toBe(201);
    await passwordGrant(t, r.realm, 'spa', undefined, r.user, 'openid offline_access');
    const third = await form(t, tokenPath(r.realm), { grant_type: 'password', client_id: 'spa', username: r.user.username, password: r.user.password, scope: 'openid' });
    expect(third.status).toBe(403);
    expect(third.body.error).toBe('access_denied');
    expect(third.body.error_description).toMatch(/Too many sessions/);
    const kinds = (await r.api('GET', '/sessions?limit=1000')).body.sessions.filter((s: any) => s.user.username === 'alice').map((s: any) => s.kind).sort();
    expect(kinds).toEqual(['console', 'offline']);
  });

  it('lets no more than the limit in when many sign in at once on the OIDC page', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 2, sessionLimitBehavior: 'deny-new' }, [spa]);
    const browsers = await Promise.all(Array.from({ length: 6 }, async () => {
      const b = new Browser(t.url);
      return { b, f: await openLogin(b, await authUrl(r.realm)) };
    }));
    const answers = await Promise.all(browsers.map(({ b, f }) => submit(b, f, r.user)));
    expect(answers.filter((a) => a.status === 302)).toHaveLength(2);
    expect(answers.filter((a) => a.status === 403)).toHaveLength(4);
    expect(await liveSessions(r)).toHaveLength(2);
  });
});

describe('terminate-oldest', () => {
  it('ends the oldest session (session-limit); its self subscriber gets session.terminated and then 4401', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 2, sessionLimitBehavior: 'terminate-oldest' });
    const oldest = (await restLogin(r)).body;
    const second = (await restLogin(r)).body;
    const ws = new WsClient(`${t.wsUrl}/ws?realm=${r.realm}`, { token: oldest.token });
    await ws.waitFor((m) => m.type === 'hello');
    ws.send({ type: 'subscribe', topic: 'self', ref: 1 });
    await ws.waitFor((m) => m.type === 'snapshot');
    const third = await restLogin(r);
    expect(third.status).toBe(201);
    const ended = await ws.waitForEvent('session.terminated', oldest.session.id);
    expect(ended.data).toMatchObject({ reason: 'session-limit' });
    const closed = await ws.closed;
    expect(closed.code).toBe(CLOSE.UNAUTHENTICATED);
    // the terminated event came before the close, and it is the last event the subscriber saw
    expect(ws.events().at(-1)!.name).toBe('session.terminated');
    expect(await liveSessions(r)).toEqual([second.session.id, third.body.session.id]);
    expect((await t.api('GET', `/api/v1/realms/${r.realm}/me`, { token: oldest.token })).status).toBe(401);
    const events = await streamOf(r);
    const i = events.findIndex((e) => e.name === 'session.terminated');
    expect(events[i]).toMatchObject({ sessionId: oldest.session.id, data: { reason: 'session-limit' } });
    // announced before the new session started, in the same step
    expect(events[i + 1]).toMatchObject({ name: 'session.started', sessionId: third.body.session.id });
  });

  it('keeps the user at the limit when many sign in at once, ending the oldest ones', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 3, sessionLimitBehavior: 'terminate-oldest' });
    const answers = await Promise.all(Array.from({ length: 9 }, () => restLogin(r)));
    expect(answers.map((a) => a.status)).toEqual(Array(9).fill(201));
    const live = await liveSessions(r);
    expect(live).toHaveLength(3);
    const events = await streamOf(r);
    expect(events.filter((e) => e.name === 'session.terminated' && e.data.reason === 'session-limit')).toHaveLength(6);
    // the survivors are the three that started last
    const started = events.filter((e) => e.name === 'session.started').map((e) => e.sessionId);
    expect(live.sort()).toEqual(started.slice(-3).sort());
  });

  it('applies to OIDC sign-ins: the page signs in and the oldest session ends', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 1, sessionLimitBehavior: 'terminate-oldest' }, [spa]);
    const rest = (await restLogin(r)).body;
    const page = await pageLogin(r);
    expect(page.status).toBe(302);
    expect(new URL(page.location!).searchParams.get('code')).toBeTruthy();
    expect((await t.api('GET', `/api/v1/realms/${r.realm}/me`, { token: rest.token })).status).toBe(401);
    const offline = await passwordGrant(t, r.realm, 'spa', undefined, r.user, 'openid offline_access');
    expect(offline.refresh_token).toBeTruthy();
    const kinds = (await r.api('GET', '/sessions?limit=1000')).body.sessions.filter((s: any) => s.user.username === 'alice').map((s: any) => s.kind);
    expect(kinds).toEqual(['offline']);
    const events = await streamOf(r);
    expect(events.filter((e) => e.name === 'session.terminated' && e.data.reason === 'session-limit')).toHaveLength(2);
  });

  it('keeps the user at the limit when many password grants run at once', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 2, sessionLimitBehavior: 'terminate-oldest' }, [spa]);
    const grants = await Promise.all(Array.from({ length: 8 }, () => form(t, tokenPath(r.realm), { grant_type: 'password', client_id: 'spa', username: r.user.username, password: r.user.password, scope: 'openid' })));
    expect(grants.map((g) => g.status)).toEqual(Array(8).fill(200));
    expect(await liveSessions(r)).toHaveLength(2);
    // the evicted ones' refresh tokens are dead: their sessions ended
    const refreshed = await Promise.all(grants.map((g) => form(t, tokenPath(r.realm), { grant_type: 'refresh_token', client_id: 'spa', refresh_token: g.body.refresh_token })));
    expect(refreshed.filter((x) => x.status === 200)).toHaveLength(2);
    expect(refreshed.filter((x) => x.status === 400 && x.body.error === 'invalid_grant')).toHaveLength(6);
  });

  it('ends the oldest session for a self subscriber over Socket.IO too: session.terminated, then close 4401', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 1, sessionLimitBehavior: 'terminate-oldest' });
    const oldest = (await restLogin(r)).body;
    const sio = new SioClient(t.url, { token: oldest.token, realm: r.realm });
    await sio.connected();
    await sio.request('subscribe', { topic: 'self' });
    await sio.waitFor((m) => m.type === 'snapshot');
    expect((await restLogin(r)).status).toBe(201);
    const ended = await sio.waitForEvent('session.terminated', oldest.session.id);
    expect(ended.data).toMatchObject({ reason: 'session-limit' });
    const closed = await sio.waitFor((m) => typeof (m as { code?: unknown }).code === 'number', 20_000, 'a close event') as unknown as { code: number };
    expect(closed.code).toBe(CLOSE.UNAUTHENTICATED);
    expect(sio.messages.indexOf(sio.messages.find((m) => m.type === 'events' && m.events.some((e: any) => e.name === 'session.terminated'))!))
      .toBeLessThan(sio.messages.indexOf(closed as never));
    sio.close();
  });

  it('applies a lower limit at once: each user\'s oldest sessions past it end (terminate-oldest), none with deny-new', async () => {
    const r = await makeRealm(t, {});
    const four = [];
    for (let i = 0; i < 4; i++) four.push((await restLogin(r)).body.session.id as string);
    const denied = await r.api('PATCH', '/policy', { maxSessionsPerUser: 2, sessionLimitBehavior: 'deny-new' });
    expect(denied.status).toBe(200);
    expect(await liveSessions(r)).toEqual(four);
    const lowered = await r.api('PATCH', '/policy', { sessionLimitBehavior: 'terminate-oldest' });
    expect(lowered.status).toBe(200);
    expect(await liveSessions(r)).toEqual(four.slice(2));
    const ended = (await streamOf(r)).filter((e) => e.name === 'session.terminated');
    expect(ended.map((e) => [e.sessionId, e.data.reason])).toEqual([[four[0], 'session-limit'], [four[1], 'session-limit']]);
    // the realm's admin (one session) is under the limit and stays
    expect((await r.api('GET', '/me')).status).toBe(200);
  });

  it('counts nothing when the limit is 0 (unlimited)', async () => {
    const r = await makeRealm(t, { maxSessionsPerUser: 0 });
    for (let i = 0; i < 5; i++) expect((await restLogin(r)).status).toBe(201);
    expect(await liveSessions(r)).toHaveLength(5);
  });
});
