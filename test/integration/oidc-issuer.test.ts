/**
 * The issuer and every link come from VIGIL_PUBLIC_URL (else the listening address), never from
 * a request's Host header: a request with `Host: evil.example` must not make discovery (cached
 * by relying parties and proxies) announce endpoints on another site, nor tokens carry its iss.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { REDIRECT, createClient, decodeJwt } from './oidc-support.js';

const PUBLIC_URL = 'https://vigil.example.com';
const EVIL = 'evil.example';

/** An HTTP request to the real server with a Host header of our choosing (fetch does not send one). */
function send(base: string, path: string, opts: { method?: string; host: string; form?: Record<string, string> }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  const u = new URL(base);
  const payload = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request({
      host: u.hostname, port: u.port, path, method: opts.method ?? 'GET',
      headers: { host: opts.host, ...(payload ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'introspection_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'jwks_uri', 'revocation_endpoint'];

async function passwordTokens(t: TestApp, host: string) {
  const r = await send(t.url, '/realms/default/protocol/openid-connect/token', {
    method: 'POST', host, form: { grant_type: 'password', client_id: 'cli', username: 'alice', password: 'alice-password', scope: 'openid' },
  });
  expect(r.status).toBe(200);
  return r.body as { access_token: string; id_token: string; refresh_token: string };
}

describe('with VIGIL_PUBLIC_URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { VIGIL_PUBLIC_URL: PUBLIC_URL } });
    await t.createUser('alice', { password: 'alice-password' });
    await createClient(t, { clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true, redirectUris: [REDIRECT] });
  });
  afterAll(async () => t?.close());

  it('announces the public URL\'s issuer and endpoints in discovery whatever the Host header says', async () => {
    const issuer = `${PUBLIC_URL}/realms/default`;
    for (const host of [EVIL, new URL(t.url).host]) {
      const r = await send(t.url, '/realms/default/.well-known/openid-configuration', { host });
      expect(r.status).toBe(200);
      expect(r.body.issuer).toBe(issuer);
      for (const e of ENDPOINTS) expect(r.body[e]).toMatch(new RegExp(`^${issuer}/protocol/openid-connect/`));
      expect(JSON.stringify(r.body)).not.toContain(EVIL);
    }
  });

  it('puts the public URL\'s issuer in tokens asked for with a foreign Host header', async () => {
    const tok = await passwordTokens(t, EVIL);
    for (const jwt of [tok.access_token, tok.id_token, tok.refresh_token]) expect(decodeJwt(jwt).iss).toBe(`${PUBLIC_URL}/realms/default`);
    const again = await send(t.url, '/realms/default/protocol/openid-connect/token', {
      method: 'POST', host: EVIL, form: { grant_type: 'refresh_token', client_id: 'cli', refresh_token: tok.refresh_token },
    });
    expect(again.status).toBe(200);
    expect(decodeJwt(again.body.access_token).iss).toBe(`${PUBLIC_URL}/realms/default`);
  });

  it('names the public issuer in an authorization error redirect sent with a foreign Host header', async () => {
    const q = new URLSearchParams({ client_id: 'cli', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's1' });
    const r = await send(t.url, `/realms/default/protocol/openid-connect/auth?${q}`, { host: EVIL });
    expect(r.status).toBe(302);
    const loc = new URL(String(r.headers.location));
    expect(loc.searchParams.get('error')).toBe('invalid_request'); // a public client without PKCE
    expect(loc.searchParams.get('iss')).toBe(`${PUBLIC_URL}/realms/default`);
  });
});

describe('without VIGIL_PUBLIC_URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.createUser('alice', { password: 'alice-password' });
    await createClient(t, { clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true, redirectUris: [REDIRECT] });
  });
  afterAll(async () => t?.close());

  it('uses the listening address as the issuer whatever the Host header says', async () => {
    const issuer = `${t.url}/realms/default`;
    const r = await send(t.url, '/realms/default/.well-known/openid-configuration', { host: EVIL });
    expect(r.body.issuer).toBe(issuer);
    for (const e of ENDPOINTS) expect(r.body[e]).toMatch(new RegExp(`^${issuer}/`));
    expect(decodeJwt((await passwordTokens(t, EVIL)).access_token).iss).toBe(issuer);
  });
});
