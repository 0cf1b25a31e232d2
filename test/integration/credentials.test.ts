/** Credentials: what a failed sign-in records about the attempt. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Browser, REDIRECT, makeRealm, oc, openLogin, streamEvents, submit, tokenPath, form } from './oidc-support.js';

const direct = { clientId: 'app', publicClient: true, directAccessGrantsEnabled: true, redirectUris: [REDIRECT] };

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '1000' } });
});
afterAll(async () => t?.close());

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
    const { redis, keys } = t.app.vigil;
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${keys.realmBase(r.realm)}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((k) => k.toLowerCase().includes(typed.toLowerCase()))).toEqual([]);
    expect(JSON.stringify(await streamEvents(t, r.realm))).not.toContain(typed);
  });
});
