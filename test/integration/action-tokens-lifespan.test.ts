/**
 * Each lifespan rule of the contract, to the second, with real waiting (no mocked clocks): a
 * link works until its expiry and not one second after. The links' expiries are read from
 * their tokens' claims (signed, not secret).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TestSmtp } from '../helpers/smtp.js';
import { claimsOf, openLink, refusal, setPasswordVia, userWithEmail } from '../helpers/action-links.js';
import { sleep } from '../helpers/clients.js';

let t: TestApp;
const smtp = new TestSmtp();
const admin = () => ({ token: t.adminToken });
const until = (ms: number) => sleep(Math.max(0, ms - Date.now()));

beforeAll(async () => {
  await smtp.start();
  t = await startTestApp({ env: { VIGIL_SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await t?.close();
  await smtp.stop();
});

const setPolicy = async (patch: Record<string, unknown>) => expect((await t.api('PATCH', '/policy', { ...admin(), body: patch })).status).toBe(200);

describe('action link lifespans', () => {
  it('a user-initiated link lives userActionLifespan, and its operation\'s override beats it', async () => {
    await setPolicy({ userActionLifespan: 40, userActionLifespanOverrides: { 'reset-credentials': 3, 'verify-email': null } });
    await userWithEmail(t, 'kim', 'kim@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'kim' } });
    const reset = await smtp.next('kim@example.test');
    const c = claimsOf(reset.link!);
    expect(c.exp - c.iat).toBe(3000);
    expect(reset.text).toContain('for 3 seconds');

    // no override for verify-email: the default applies
    await t.api('PUT', '/users/kim/send-verify-email', admin());
    const verify = await smtp.next('kim@example.test', 20_000, smtp.messages.indexOf(reset) + 1);
    const v = claimsOf(verify.link!);
    expect([v.op, v.exp - v.iat]).toEqual(['verify-email', 40_000]);

    await until(c.exp - 1000);
    expect((await openLink(reset.link!)).status).toBe(200);
    await until(c.exp + 1000);
    const late = await setPasswordVia(reset.link!, 'kim-too-late-pass');
    expect([late.status, refusal(late)]).toEqual([400, 'expired']);
    expect((await t.api('POST', '/login', { body: { username: 'kim', password: 'kim-too-late-pass' } })).status).toBe(401);
  });

  it('an admin\'s execute-actions link lives adminActionLifespan, and the send\'s lifespan beats it', async () => {
    // the execute-actions override is for user-initiated execute-actions: an admin's send does not read it
    await setPolicy({ adminActionLifespan: 3, userActionLifespan: 40, userActionLifespanOverrides: { 'execute-actions': 100 } });
    await userWithEmail(t, 'lee', 'lee@example.test');
    await t.api('PUT', '/users/lee/execute-actions-email', { ...admin(), body: ['UPDATE_PASSWORD'] });
    const byDefault = await smtp.next('lee@example.test');
    const d = claimsOf(byDefault.link!);
    expect(d.exp - d.iat).toBe(3000);

    await setPolicy({ adminActionLifespan: 43200 });
    await t.api('PUT', '/users/lee/execute-actions-email?lifespan=4', { ...admin(), body: ['UPDATE_PASSWORD'] });
    const perSend = await smtp.next('lee@example.test', 20_000, smtp.messages.indexOf(byDefault) + 1);
    const p = claimsOf(perSend.link!);
    expect(p.exp - p.iat).toBe(4000);

    // 1 s before its expiry the link still does its job
    await until(p.exp - 1000);
    expect((await setPasswordVia(perSend.link!, 'lee-in-time-pass')).status).toBe(200);
    expect((await t.api('POST', '/login', { body: { username: 'lee', password: 'lee-in-time-pass' } })).status).toBe(201);
  });

  it('a link opened 1 s after its expiry is refused and changes nothing', async () => {
    await setPolicy({ adminActionLifespan: 43200 });
    await userWithEmail(t, 'max', 'max@example.test');
    await t.api('PUT', '/users/max/execute-actions-email?lifespan=2', { ...admin(), body: ['UPDATE_PASSWORD', 'VERIFY_EMAIL'] });
    const mail = await smtp.next('max@example.test');
    const c = claimsOf(mail.link!);
    await until(c.exp + 1000);
    const page = await openLink(mail.link!);
    expect([page.status, refusal(page)]).toEqual([400, 'expired']);
    expect(page.html).toContain('This link has expired. Nothing was changed.');
    expect(refusal(await setPasswordVia(mail.link!, 'max-late-password'))).toBe('expired');
    expect((await t.api('GET', '/users/max', admin())).body.user.emailVerified).toBe(false);
    expect((await t.api('POST', '/login', { body: { username: 'max', password: 'max-password' } })).status).toBe(201);
  });

  it('refuses a lifespan below 1 second', async () => {
    await userWithEmail(t, 'ned', 'ned@example.test');
    const r = await t.api('PUT', '/users/ned/execute-actions-email?lifespan=0', { ...admin(), body: ['UPDATE_PASSWORD'] });
    expect([r.status, r.body.message]).toEqual([400, expect.stringMatching(/^lifespan must be /)]);
  });
});
