/**
 * Mail never gets lost: every message is in the realm's outbox with what became of it; with no
 * SMTP server configured it stays there (and its link works from there); with the SMTP server
 * down, the delivery job retries with backoff until the server is back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { freePort, TestSmtp } from '../helpers/smtp.js';
import { setPasswordVia, userWithEmail } from '../helpers/action-links.js';
import { sleep, WsClient } from '../helpers/clients.js';
import { mailBackoff, MAIL_ATTEMPTS } from '../../server/mail/service.js';

const apps: TestApp[] = [];
const servers: TestSmtp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
  for (const s of servers) await s.stop();
});

async function waitUntil<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('without an SMTP server', () => {
  it('keeps mail in the outbox, where an admin reads it and its link works', async () => {
    const t = await startTestApp();
    apps.push(t);
    await userWithEmail(t, 'olga', 'olga@example.test');
    expect((await t.api('POST', '/reset-credentials', { body: { username: 'olga' } })).status).toBe(202);
    const list = await t.api('GET', '/outbox', { token: t.adminToken });
    expect(list.status).toBe(200);
    expect(list.body.messages).toHaveLength(1);
    const m = list.body.messages[0];
    expect(m).toMatchObject({ to: 'olga@example.test', subject: 'Reset your password', status: 'queued', attempts: 0 });
    expect(m.html).toContain('<a href=');
    const one = await t.api('GET', `/outbox/${m.id}`, { token: t.adminToken });
    expect(one.body.message).toEqual(m);
    expect((await t.api('GET', '/outbox/m_nothing', { token: t.adminToken })).status).toBe(404);

    const link = /http\S+action-token\?key=\S+/.exec(m.text)![0];
    expect((await setPasswordVia(link, 'olga-from-outbox')).status).toBe(200);
    expect((await t.api('POST', '/login', { body: { username: 'olga', password: 'olga-from-outbox' } })).status).toBe(201);

    // newest first
    await t.api('PUT', '/users/olga/send-verify-email', { token: t.adminToken });
    const again = (await t.api('GET', '/outbox', { token: t.adminToken })).body.messages;
    expect(again.map((x: { subject: string }) => x.subject)).toEqual(['Verify your e-mail address', 'Reset your password']);

    await t.createUser('peek', { roles: ['viewer'] });
    const viewer = await t.login('peek', 'peek-password');
    expect((await t.api('GET', '/outbox', { token: viewer.token })).status).toBe(403);
  });

  it('limits reset requests per client address, saying when to retry', async () => {
    const t = await startTestApp();
    apps.push(t);
    for (let i = 0; i < 30; i++) expect((await t.api('POST', '/reset-credentials', { body: { username: `who-${i}` } })).status).toBe(202);
    const r = await t.api('POST', '/reset-credentials', { body: { username: 'who-31' } });
    expect([r.status, r.body.code]).toEqual([429, 'VIGIL_ERR_RATE_LIMITED']);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('with the SMTP server down', () => {
  it('retries with backoff and delivers once the server is back, recording each attempt', async () => {
    const port = await freePort();
    const t = await startTestApp({ env: { VIGIL_SMTP_URL: `smtp://127.0.0.1:${port}` } });
    apps.push(t);
    const watch = new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken });
    await watch.waitFor((m) => m.type === 'hello');
    watch.send({ type: 'subscribe', topic: 'sessions' });
    await watch.waitFor((m) => m.type === 'snapshot');

    await userWithEmail(t, 'pia', 'pia@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'pia' } });
    const failed = await watch.waitForEvent('mail.failed');
    expect(failed.data).toMatchObject({ username: 'pia', to: 'pia@example.test', attempts: 1, final: false, error: expect.stringMatching(/ECONNREFUSED|connect/i) });
    const queued = await waitUntil('a second attempt', async () => {
      const m = (await t.api('GET', '/outbox', { token: t.adminToken })).body.messages[0];
      return m.attempts >= 2 && m;
    });
    expect(queued).toMatchObject({ status: 'queued', error: expect.any(String) });

    const smtp = await new TestSmtp().start(port);
    servers.push(smtp);
    const mail = await smtp.next('pia@example.test', 30_000);
    expect(mail.subject).toBe('Reset your password');
    const sent = await waitUntil('status sent', async () => {
      const m = (await t.api('GET', '/outbox', { token: t.adminToken })).body.messages[0];
      return m.status === 'sent' && m;
    });
    expect(sent.attempts).toBeGreaterThanOrEqual(3);
    expect(sent.error).toBeUndefined();
    expect((await watch.waitForEvent('mail.sent')).data).toMatchObject({ username: 'pia', attempts: sent.attempts });
    expect(smtp.to('pia@example.test')).toHaveLength(1);
    expect((await setPasswordVia(mail.link!, 'pia-after-outage')).status).toBe(200);
    watch.close();
  });

  it('keeps retrying long enough to ride out an outage of hours', () => {
    let waited = 0;
    for (let n = 1; n < MAIL_ATTEMPTS; n++) waited += mailBackoff(n);
    expect(mailBackoff(1)).toBe(1000);
    expect(mailBackoff(2)).toBe(2000);
    expect(waited).toBeGreaterThan(6 * 3600_000);
  });
});
