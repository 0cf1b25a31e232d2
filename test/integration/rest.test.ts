/** The REST API as CONTRACT.md states it, including the role checks on every route. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { hashToken } from '../../server/sessions/tokens.js';

let t: TestApp;
let displayKey: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('alice');
  await t.createUser('bob');
  await t.createUser('vera', { roles: ['viewer'] });
  const r = await t.api('POST', '/display-keys', { token: t.adminToken, body: { name: 'Lobby' } });
  displayKey = r.body.displayKey.key;
});
afterAll(async () => t?.close());

describe('sign-in', () => {
  it('logs in with a 201, a token, the session and an HttpOnly SameSite=Strict cookie', async () => {
    const r = await t.api('POST', '/login', { body: { username: 'alice', password: 'alice-password' } });
    expect(r.status).toBe(201);
    // the token names its session, then 256 random bits
    expect(r.body.token).toMatch(/^vs_s_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(r.body.token.slice(3, 21)).toBe(r.body.session.id);
    expect(r.body.session).toMatchObject({ kind: 'console', state: 'active', current: true, user: { username: 'alice' }, idleTimeout: 300 });
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toContain('vigil_session=');
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
  });

  it('refuses a token that names a live session with any other secret, and keeps no token index', async () => {
    const { token, session } = await t.login('alice', 'alice-password');
    const forged = `vs_${session.id}.${'A'.repeat(43)}`;
    expect((await t.api('GET', '/me', { token: forged })).status).toBe(401);
    expect((await t.api('GET', '/me', { token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` })).status).toBe(401);
    expect((await t.api('GET', '/me', { token: `vs_${session.id}` })).status).toBe(401);
    expect((await t.api('GET', '/me', { token })).status).toBe(200);
    expect(await t.app.redis.hlen(t.app.keys.tokens('default'))).toBe(0);
  });

  it('still accepts a token of the first release\'s form (found through the token index) until its session ends', async () => {
    const { session } = await t.login('alice', 'alice-password');
    // what a session started before the upgrade looks like: a random token, indexed by its hash
    const old = `vs_${randomBytes(32).toString('base64url')}`;
    const { redis, keys } = t.app;
    await redis.hset(keys.session('default', session.id), 'th', hashToken(old));
    await redis.hset(keys.tokens('default'), hashToken(old), session.id);
    expect((await t.api('GET', '/me', { token: old })).body.session.id).toBe(session.id);
    expect((await t.api('DELETE', `/sessions/${session.id}`, { token: t.adminToken })).status).toBe(204);
    expect((await t.api('GET', '/me', { token: old })).status).toBe(401);
    expect(await redis.hexists(keys.tokens('default'), hashToken(old))).toBe(0);
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const a = await t.api('POST', '/login', { body: { username: 'alice', password: 'wrong-password' } });
    const b = await t.api('POST', '/login', { body: { username: 'nobody', password: 'wrong-password' } });
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(a.body).toEqual(b.body);
    expect(a.body.code).toBe('VIGIL_ERR_INVALID_CREDENTIALS');
  });

  it('rate-limits repeated failures for one user with 429', async () => {
    await t.createUser('mallory');
    let last = 0;
    for (let i = 0; i < 11; i++) last = (await t.api('POST', '/login', { body: { username: 'mallory', password: 'nope-nope-nope' } })).status;
    expect(last).toBe(429);
    const ok = await t.api('POST', '/login', { body: { username: 'mallory', password: 'mallory-password' } });
    expect(ok.status).toBe(429);
    expect(ok.body.code).toBe('VIGIL_ERR_RATE_LIMITED');
  });

  it('refuses a login from a foreign origin', async () => {
    const r = await t.api('POST', '/login', { body: { username: 'alice', password: 'alice-password' }, headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('VIGIL_ERR_BAD_ORIGIN');
  });

  it('logout ends the session and its token is refused at once', async () => {
    const { token } = await t.login('alice', 'alice-password');
    expect((await t.api('POST', '/logout', { token })).status).toBe(204);
    const r = await t.api('GET', '/me', { token });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('VIGIL_ERR_UNAUTHENTICATED');
  });

  it('answers an unknown realm with 404 and no credential with 401', async () => {
    expect((await t.api('GET', '/api/v1/realms/nope/me')).body.code).toBe('VIGIL_ERR_NOT_FOUND');
    const r = await t.api('GET', '/me');
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('VIGIL_ERR_UNAUTHENTICATED');
  });
});

describe('cookies', () => {
  it('authenticate reads, and refuse cookie writes from a foreign origin', async () => {
    const { token } = await t.login('alice', 'alice-password');
    const cookie = `vigil_session=${token}`;
    expect((await t.api('GET', '/me', { headers: { cookie } })).status).toBe(200);
    const evil = await t.api('POST', '/sessions/current/activity', { headers: { cookie, origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.body.code).toBe('VIGIL_ERR_BAD_ORIGIN');
    const same = await t.api('POST', '/sessions/current/activity', { headers: { cookie, origin: t.url } });
    expect(same.status).toBe(204);
  });

  it('a cookie whose session has ended does not stop signing in again, and is cleared', async () => {
    const { token } = await t.login('alice', 'alice-password');
    await t.api('POST', '/logout', { token }); // the browser still holds the cookie, as after an expiry
    const cookie = `vigil_session=${token}`;
    const me = await t.api('GET', '/me', { headers: { cookie } });
    expect(me.status).toBe(401);
    expect(me.body).toMatchObject({ code: 'VIGIL_ERR_UNAUTHENTICATED', message: 'The token is unknown, expired or revoked' });
    expect(me.headers.get('set-cookie')).toMatch(/^vigil_session=; Max-Age=0; .*HttpOnly; SameSite=Strict/);
    const again = await t.api('POST', '/login', { headers: { cookie, origin: t.url }, body: { username: 'alice', password: 'alice-password' } });
    expect(again.status).toBe(201);
    expect(again.headers.get('set-cookie')).toContain(`vigil_session=${again.body.token}`);
  });

  it('answers a malformed cookie with 401, not a server error', async () => {
    const r = await t.api('GET', '/me', { headers: { cookie: 'vigil_session=%E0%A4%A' } });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('VIGIL_ERR_UNAUTHENTICATED');
  });

  it('still refuses an unknown bearer token outright', async () => {
    const r = await t.api('POST', '/login', { token: 'vs_unknown', body: { username: 'alice', password: 'alice-password' } });
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('The token is unknown, expired or revoked');
  });
});

describe('me and token lifetime', () => {
  it('returns the user and the current session', async () => {
    const { token, session } = await t.login('bob', 'bob-password');
    const r = await t.api('GET', '/me', { token });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ username: 'bob', roles: ['user'], tokenLifetime: 300 });
    expect(r.body.session).toMatchObject({ id: session.id, current: true });
  });

  it.each([
    [29, 400], [30, 200], [2147482, 200], [2147483, 400], [30.5, 400], [-1, 400], [null, 400], ['60', 400],
  ])('token lifetime %s → %i', async (value, status) => {
    const { token } = await t.login('bob', 'bob-password');
    const r = await t.api('PUT', '/me/token-lifetime', { token, body: { tokenLifetime: value } });
    expect(r.status).toBe(status);
    if (status === 400) {
      expect(r.body.code).toBe('VIGIL_ERR_VALIDATION');
      expect(r.body.message).toBe('tokenLifetime must be an integer from 30 to 2147482 seconds');
    } else {
      expect(r.body.user.tokenLifetime).toBe(value);
      expect(r.body.session.idleTimeout).toBe(value);
    }
  });

  it('applies a new token lifetime to the user\'s live console sessions at once', async () => {
    const a = await t.login('bob', 'bob-password');
    const b = await t.login('bob', 'bob-password');
    await t.api('PUT', '/me/token-lifetime', { token: a.token, body: { tokenLifetime: 120 } });
    const other = await t.api('GET', `/sessions/${b.session.id}`, { token: a.token });
    expect(other.body.session.idleTimeout).toBe(120);
    expect(Date.parse(other.body.session.warnAt) - Date.parse(other.body.session.lastActivityAt)).toBe(120_000);
  });
});

describe('sessions', () => {
  it('lets a user list only their own sessions and not read others\'', async () => {
    const alice = await t.login('alice', 'alice-password');
    const bob = await t.login('bob', 'bob-password');
    const list = await t.api('GET', '/sessions', { token: alice.token });
    expect(list.status).toBe(200);
    expect(list.body.sessions.length).toBeGreaterThan(0);
    expect(list.body.sessions.every((s: any) => s.user.username === 'alice')).toBe(true);
    expect((await t.api('GET', `/sessions/${bob.session.id}`, { token: alice.token })).status).toBe(404);
    expect((await t.api('DELETE', `/sessions/${bob.session.id}`, { token: alice.token })).status).toBe(404);
    expect((await t.api('GET', `/sessions/${bob.session.id}`, { token: bob.token })).status).toBe(200);
  });

  it('lets a viewer and an admin list everything, with filters and a cursor', async () => {
    const vera = await t.login('vera', 'vera-password');
    const all = await t.api('GET', '/sessions?limit=1000', { token: vera.token });
    expect(new Set(all.body.sessions.map((s: any) => s.user.username))).toEqual(expect.any(Set));
    expect(all.body.sessions.some((s: any) => s.user.username === 'bob')).toBe(true);
    const bobs = await t.api('GET', '/sessions?user=bob', { token: t.adminToken });
    expect(bobs.body.sessions.every((s: any) => s.user.username === 'bob')).toBe(true);
    const p1 = await t.api('GET', '/sessions?limit=2', { token: t.adminToken });
    expect(p1.body.sessions).toHaveLength(2);
    const p2 = await t.api('GET', `/sessions?limit=2&cursor=${p1.body.nextCursor}`, { token: t.adminToken });
    expect(p2.body.sessions[0].id).not.toBe(p1.body.sessions[1].id);
    const ids = [...p1.body.sessions, ...p2.body.sessions].map((s: any) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await t.api('GET', '/sessions?kind=bogus', { token: t.adminToken })).status).toBe(400);
    expect((await t.api('GET', '/sessions?limit=0', { token: t.adminToken })).body.message).toBe('limit must be an integer from 1 to 1000');
    expect((await t.api('GET', '/sessions?cursor=zzz', { token: t.adminToken })).status).toBe(400);
  });

  it('pages through every session exactly once, also when many started in the same millisecond', async () => {
    const user = await t.app.users.byUsername('default', 'bob');
    // 300 concurrent starts land many to a millisecond; their ids then decide the order
    await Promise.all(Array.from({ length: 300 }, () => t.app.engine.start({ realm: 'default', kind: 'console', user: { id: user!.id, username: 'bob' }, idleTimeout: 3600, ip: '127.0.0.1', userAgent: 'paging' })));
    const all = (await t.api('GET', '/sessions?limit=1000', { token: t.adminToken })).body.sessions.map((s: any) => s.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { sessions: Array<{ id: string }>; nextCursor: string | null } } = await t.api('GET', `/sessions?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: t.adminToken });
      paged.push(...r.body.sessions.map((s) => s.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(paged).toEqual(all);
  });

  it('refuses to terminate the caller\'s own current session by id (409), for admins too', async () => {
    const me = await t.api('GET', '/me', { token: t.adminToken });
    const r = await t.api('DELETE', `/sessions/${me.body.session.id}`, { token: t.adminToken });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('VIGIL_ERR_CURRENT_SESSION');
    expect(r.body.message).toBe('This session is current and cannot be terminated');
  });

  it('lets a user terminate their own other session, and an admin anyone\'s', async () => {
    const a1 = await t.login('alice', 'alice-password');
    const a2 = await t.login('alice', 'alice-password');
    expect((await t.api('DELETE', `/sessions/${a2.session.id}`, { token: a1.token })).status).toBe(204);
    expect((await t.api('GET', '/me', { token: a2.token })).status).toBe(401);
    expect((await t.api('DELETE', `/sessions/${a1.session.id}`, { token: t.adminToken })).status).toBe(204);
    expect((await t.api('GET', '/me', { token: a1.token })).status).toBe(401);
    expect((await t.api('DELETE', '/sessions/s_nonexistent', { token: t.adminToken })).status).toBe(404);
  });

  it('terminate-others: a user ends only their own others; the caller survives', async () => {
    const b1 = await t.login('bob', 'bob-password');
    const b2 = await t.login('bob', 'bob-password');
    const alice = await t.login('alice', 'alice-password');
    const r = await t.api('POST', '/sessions/terminate-others', { token: b1.token });
    expect(r.status).toBe(200);
    expect(r.body.terminated).toBeGreaterThanOrEqual(1);
    expect((await t.api('GET', '/me', { token: b1.token })).status).toBe(200);
    expect((await t.api('GET', '/me', { token: b2.token })).status).toBe(401);
    expect((await t.api('GET', '/me', { token: alice.token })).status).toBe(200);
  });

  it('lets an admin start a session for a user their own application authenticated', async () => {
    const r = await t.api('POST', '/sessions', { token: t.adminToken, body: { username: 'alice', idleTimeout: 60, origin: { ip: '10.1.2.3', userAgent: 'KioskApp/1.0' } } });
    expect(r.status).toBe(201);
    expect(r.body.session).toMatchObject({ idleTimeout: 60, origin: { ip: '10.1.2.3', userAgent: 'KioskApp/1.0' }, user: { username: 'alice' } });
    expect((await t.api('GET', '/me', { token: r.body.token })).body.user.username).toBe('alice');
    expect((await t.api('POST', '/sessions', { token: t.adminToken, body: { username: 'alice', idleTimeout: 29 } })).status).toBe(400);
    expect((await t.api('POST', '/sessions', { token: t.adminToken, body: { username: 'ghost' } })).status).toBe(404);
    const alice = await t.login('alice', 'alice-password');
    expect((await t.api('POST', '/sessions', { token: alice.token, body: { username: 'alice' } })).status).toBe(403);
  });
});

describe('a display key (viewer)', () => {
  it('reads sessions, stats and policy', async () => {
    expect((await t.api('GET', '/sessions', { token: displayKey })).status).toBe(200);
    const stats = await t.api('GET', '/stats', { token: displayKey });
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ active: expect.any(Number), warning: expect.any(Number), byKind: { console: expect.any(Number) } });
    expect(stats.body.lastHour.logins).toBeGreaterThan(0);
    expect((await t.api('GET', '/policy', { token: displayKey })).status).toBe(200);
  });

  it('cannot write anything', async () => {
    const some = (await t.api('GET', '/sessions', { token: displayKey })).body.sessions[0];
    for (const [method, path, body] of [
      ['DELETE', `/sessions/${some.id}`, undefined], ['POST', '/sessions/terminate-others', undefined],
      ['PATCH', '/policy', { ssoSessionIdle: 100 }], ['POST', '/users', { username: 'x', password: 'xxxxxxxx' }],
      ['POST', '/logout', undefined], ['POST', '/display-keys', {}],
    ] as const) {
      const r = await t.api(method, path, { token: displayKey, body });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.code).toBe('VIGIL_ERR_FORBIDDEN');
    }
  });

  it('stops working once revoked', async () => {
    const k = await t.api('POST', '/display-keys', { token: t.adminToken, body: { name: 'temp' } });
    expect(k.body.displayKey.key).toMatch(/^vk_/);
    const list = await t.api('GET', '/display-keys', { token: t.adminToken });
    expect(list.body.displayKeys.every((d: any) => d.key === undefined)).toBe(true);
    expect((await t.api('DELETE', `/display-keys/${k.body.displayKey.id}`, { token: t.adminToken })).status).toBe(204);
    expect((await t.api('GET', '/stats', { token: k.body.displayKey.key })).status).toBe(401);
  });
});

describe('users (admin)', () => {
  it('are managed by admins only', async () => {
    const alice = await t.login('alice', 'alice-password');
    expect((await t.api('GET', '/users', { token: alice.token })).status).toBe(403);
    const vera = await t.login('vera', 'vera-password');
    expect((await t.api('GET', '/users', { token: vera.token })).status).toBe(403);
    const list = await t.api('GET', '/users', { token: t.adminToken });
    expect(list.body.users.map((u: any) => u.username)).toEqual(expect.arrayContaining(['admin', 'alice', 'bob']));
    expect(JSON.stringify(list.body)).not.toContain('passwordHash');
  });

  it('validate input and refuse duplicates', async () => {
    const bad = await t.api('POST', '/users', { token: t.adminToken, body: { username: 'zed', password: 'short' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('password');
    expect((await t.api('POST', '/users', { token: t.adminToken, body: { username: 'zed', password: 'long-enough', roles: ['root'] } })).status).toBe(400);
    expect((await t.api('POST', '/users', { token: t.adminToken, body: { username: 'zed', password: 'long-enough', tokenLifetime: 10 } })).status).toBe(400);
    expect((await t.api('POST', '/users', { token: t.adminToken, body: { username: 'zed', password: 'long-enough' } })).status).toBe(201);
    const dup = await t.api('POST', '/users', { token: t.adminToken, body: { username: 'zed', password: 'long-enough' } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('VIGIL_ERR_CONFLICT');
  });

  it('disabling a user terminates their sessions and refuses their login', async () => {
    await t.createUser('dora');
    const d = await t.login('dora', 'dora-password');
    const r = await t.api('PATCH', '/users/dora', { token: t.adminToken, body: { enabled: false } });
    expect(r.status).toBe(200);
    expect(r.body.user.enabled).toBe(false);
    expect((await t.api('GET', '/me', { token: d.token })).status).toBe(401);
    expect((await t.api('POST', '/login', { body: { username: 'dora', password: 'dora-password' } })).status).toBe(401);
  });

  it('deleting a user terminates their sessions', async () => {
    await t.createUser('eve');
    const e = await t.login('eve', 'eve-password');
    expect((await t.api('DELETE', '/users/eve', { token: t.adminToken })).status).toBe(204);
    expect((await t.api('GET', '/me', { token: e.token })).status).toBe(401);
    expect((await t.api('GET', '/users/eve', { token: t.adminToken })).status).toBe(404);
  });

  it('changing roles takes effect on the next request', async () => {
    await t.createUser('finn');
    const f = await t.login('finn', 'finn-password');
    expect((await t.api('GET', '/stats', { token: f.token })).status).toBe(403);
    await t.api('PATCH', '/users/finn', { token: t.adminToken, body: { roles: ['viewer'] } });
    expect((await t.api('GET', '/stats', { token: f.token })).status).toBe(200);
  });

  it('an admin cannot disable or delete their own account', async () => {
    expect((await t.api('PATCH', '/users/admin', { token: t.adminToken, body: { enabled: false } })).status).toBe(409);
    expect((await t.api('DELETE', '/users/admin', { token: t.adminToken })).status).toBe(409);
  });
});

describe('realm policy', () => {
  it('is read by viewers and written by admins, every field validated by name', async () => {
    const vera = await t.login('vera', 'vera-password');
    const p = await t.api('GET', '/policy', { token: vera.token });
    expect(p.body.policy).toMatchObject({ expiryPromptSeconds: 30, ssoSessionIdle: 1800, ssoSessionMax: 36000, accessTokenLifespan: 300, revokeRefreshToken: false });
    expect((await t.api('PATCH', '/policy', { token: vera.token, body: { ssoSessionIdle: 900 } })).status).toBe(403);
    const bad = await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 4 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('expiryPromptSeconds must be an integer from 5 to 3600');
    expect((await t.api('PATCH', '/policy', { token: t.adminToken, body: { bogus: 1 } })).body.message).toBe('bogus is not a policy field');
    expect((await t.api('PATCH', '/policy', { token: t.adminToken, body: { revokeRefreshToken: 'yes' } })).status).toBe(400);
    expect((await t.api('PATCH', '/policy', { token: t.adminToken, body: { userActionLifespanOverrides: { 'verify-email': 0 } } })).status).toBe(400);
    const ok = await t.api('PATCH', '/policy', { token: t.adminToken, body: { ssoSessionIdle: 900, userActionLifespanOverrides: { 'verify-email': 600 } } });
    expect(ok.status).toBe(200);
    expect(ok.body.policy.ssoSessionIdle).toBe(900);
    expect(ok.body.policy.userActionLifespanOverrides['verify-email']).toBe(600);
    expect(ok.body.policy.userActionLifespanOverrides['reset-credentials']).toBeNull();
  });

  it('applies a new prompt length to live sessions at once', async () => {
    const { token } = await t.login('alice', 'alice-password');
    await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 60 } });
    const s = (await t.api('GET', '/me', { token })).body.session;
    expect(Date.parse(s.expiresAt) - Date.parse(s.warnAt)).toBe(60_000);
    await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 30 } });
  });
});

describe('bad input', () => {
  it('gets a clear 400 for a malformed or non-object body, and the server keeps serving', async () => {
    for (const body of ['{not json', '[1,2]', '"str"', 'null']) {
      const r = await t.api('POST', '/login', { body });
      expect(r.status, body).toBe(400);
      expect(r.body.code).toBe('VIGIL_ERR_VALIDATION');
    }
    const big = await t.api('POST', '/login', { body: JSON.stringify({ username: 'a', password: 'x'.repeat(70_000) }) });
    expect(big.status).toBe(413);
    expect((await t.api('GET', '/healthz')).status).toBe(200);
  });

  it('unknown API routes are a 404 in the error shape', async () => {
    const r = await t.api('GET', '/api/v1/nothing');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ statusCode: 404, code: 'VIGIL_ERR_NOT_FOUND' });
  });
});

describe('operations', () => {
  it('healthz, readyz and metrics with the timer-lateness histogram', async () => {
    expect((await t.api('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await t.api('GET', '/readyz')).body.status).toBe('ready');
    const m = await t.api('GET', '/metrics');
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect(m.body).toContain('# TYPE vigil_timer_lateness_seconds histogram');
    expect(m.body).toContain('vigil_logins_total');
  });
});
