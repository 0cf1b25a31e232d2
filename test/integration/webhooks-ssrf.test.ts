/**
 * Server-side request forgery: with VIGIL_WEBHOOK_ALLOW_PRIVATE off (the default) a webhook or
 * back-channel logout URL on a literal private, loopback, link-local, unique-local or metadata
 * address is refused at creation (400), and a name that resolves to one is refused at delivery
 * (the receiver on loopback gets nothing, the delivery log says why).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver, until } from '../helpers/receiver.js';
import { isPrivateAddress } from '../../server/outbound/ssrf.js';

let t: TestApp;
let rec: Receiver;
beforeAll(async () => {
  t = await startTestApp();
  rec = await new Receiver().start();
});
afterAll(async () => {
  await rec?.stop();
  await t?.close();
});

describe('webhook destinations (SSRF)', () => {
  it.each([
    'http://127.0.0.1:8080/hook', 'http://10.1.2.3/hook', 'http://172.16.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/hook', 'http://[fd00:ec2::254]/', 'http://[fe80::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'http://localhost:9000/',
    'http://100.64.0.1/',
  ])('refuses %s at creation', async (url) => {
    const r = await t.api('POST', '/webhooks', { token: t.adminToken, body: { url, events: ['*'] } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VIGIL_ERR_VALIDATION');
    expect(r.body.message).toMatch(/^url must not be/);
  });

  it('refuses a URL that is not http(s)', async () => {
    const r = await t.api('POST', '/webhooks', { token: t.adminToken, body: { url: 'file:///etc/passwd', events: ['*'] } });
    expect(r.status).toBe(400);
  });

  it('refuses a private back-channel logout URL on a client too', async () => {
    const r = await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'ssrf-app', backchannelLogoutUrl: 'http://169.254.169.254/' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^backchannelLogoutUrl must not be/);
  });

  it('accepts a public address and refuses, at delivery, a name that resolves to a private one', async () => {
    expect((await t.api('POST', '/webhooks', { token: t.adminToken, body: { url: 'https://93.184.215.14/hook', events: ['nothing.matches'] } })).status).toBe(201);
    // this machine's own name resolves to a loopback address (checked first, so the test means what it says)
    const name = hostname();
    expect(isPrivateAddress((await lookup(name)).address)).toBe(true);
    const created = await t.api('POST', '/webhooks', { token: t.adminToken, body: { url: `http://${name}:${rec.port}/hook`, events: ['policy.updated'] } });
    expect(created.status).toBe(201);
    const id = created.body.webhook.id;
    await t.api('PATCH', '/policy', { token: t.adminToken, body: { expiryPromptSeconds: 31 } });
    let log: Array<{ statusCode: number | null; error: string | null }> = [];
    await until(async () => {
      log = (await t.api('GET', `/webhooks/${id}/deliveries`, { token: t.adminToken })).body.deliveries;
      return log.length > 0;
    }, 10_000, 'a refused attempt in the log');
    expect(log[0]!.statusCode).toBeNull();
    expect(log[0]!.error).toMatch(/refused: .* resolves to 127\.0\.0\.1/);
    expect(rec.requests).toBe(0);
  });
});
