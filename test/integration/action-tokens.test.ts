/**
 * The e-mailed account actions end to end, against a real SMTP server on loopback and real
 * Redis: the mail arrives, its link's page does what it says once, and what it changes
 * (password, sessions, verified address) is what a user relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TestSmtp } from '../helpers/smtp.js';
import { openLink, postLink, refusal, setPasswordVia, userWithEmail } from '../helpers/action-links.js';
import { sleep, WsClient } from '../helpers/clients.js';

let t: TestApp;
const smtp = new TestSmtp();

beforeAll(async () => {
  await smtp.start();
  t = await startTestApp({ env: { VIGIL_SMTP_URL: smtp.url, VIGIL_MAIL_FROM: 'Vigil <vigil@example.test>' } });
});
afterAll(async () => {
  await t?.close();
  await smtp.stop();
});

const admin = () => ({ token: t.adminToken });

describe('an admin sends execute actions', () => {
  it('e-mails one link that sets a new password and confirms the address, then ends the user\'s sessions', async () => {
    const u = await userWithEmail(t, 'ada', 'ada@example.test');
    const before = await t.login(u.username, u.password);
    const sent = await t.api('PUT', '/users/ada/execute-actions-email', { ...admin(), body: ['UPDATE_PASSWORD', 'VERIFY_EMAIL'] });
    expect(sent.status).toBe(204);
    const mail = await smtp.next('ada@example.test');
    expect(mail.from).toContain('vigil@example.test');
    expect(mail.subject).toBe('Update your account');
    expect(mail.link).toMatch(new RegExp(`^${t.url}/realms/default/login-actions/action-token\\?key=`));

    const page = await openLink(mail.link!);
    expect(page.status).toBe(200);
    expect(page.html).toContain('New password');
    expect(page.html).toContain('ada@example.test');

    const done = await setPasswordVia(mail.link!, 'a-brand-new-secret');
    expect(done.status).toBe(200);
    expect(done.html).toContain('Your password has been changed');
    expect((await t.api('POST', '/login', { body: { username: 'ada', password: u.password } })).status).toBe(401);
    expect((await t.api('POST', '/login', { body: { username: 'ada', password: 'a-brand-new-secret' } })).status).toBe(201);
    expect((await t.api('GET', '/me', { token: before.token })).status).toBe(401);
    expect((await t.api('GET', '/users/ada', admin())).body.user).toMatchObject({ email: 'ada@example.test', emailVerified: true });
  });

  it('goes to the client\'s redirect_uri when done, and refuses one the client did not register', async () => {
    await userWithEmail(t, 'rex', 'rex@example.test');
    expect((await t.api('POST', '/clients', { ...admin(), body: { clientId: 'portal', publicClient: true, redirectUris: ['https://portal.example.test/welcome'] } })).status).toBe(201);
    const bad = await t.api('PUT', '/users/rex/execute-actions-email?client_id=portal&redirect_uri=https://evil.example.test/', { ...admin(), body: ['VERIFY_EMAIL'] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/redirect_uri must be one of client portal/);
    const ok = await t.api('PUT', '/users/rex/execute-actions-email?client_id=portal&redirect_uri=https://portal.example.test/welcome', { ...admin(), body: ['VERIFY_EMAIL'] });
    expect(ok.status).toBe(204);
    const mail = await smtp.next('rex@example.test');
    const done = await postLink(mail.link!);
    expect(done.status).toBe(303);
    expect(done.location).toBe('https://portal.example.test/welcome');
    expect((await t.api('GET', '/users/rex', admin())).body.user.emailVerified).toBe(true);
  });

  it('answers 400 for a user without an e-mail address, a disabled user, and an unknown or no action', async () => {
    await userWithEmail(t, 'nomail', null);
    await userWithEmail(t, 'off', 'off@example.test', { enabled: false });
    await userWithEmail(t, 'fine', 'fine@example.test');
    const none = await t.api('PUT', '/users/nomail/execute-actions-email', { ...admin(), body: ['UPDATE_PASSWORD'] });
    expect([none.status, none.body.code, none.body.message]).toEqual([400, 'VIGIL_ERR_VALIDATION', 'user nomail has no email']);
    const off = await t.api('PUT', '/users/off/execute-actions-email', { ...admin(), body: ['UPDATE_PASSWORD'] });
    expect([off.status, off.body.message]).toEqual([400, 'user off is disabled']);
    const unknown = await t.api('PUT', '/users/fine/execute-actions-email', { ...admin(), body: ['DELETE_ACCOUNT'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/^body\[0\] must be one of UPDATE_PASSWORD, VERIFY_EMAIL/);
    expect((await t.api('PUT', '/users/fine/execute-actions-email', { ...admin(), body: [] })).status).toBe(400);
    expect((await t.api('PUT', '/users/off/send-verify-email', admin())).status).toBe(400);
    expect((await t.api('PUT', '/users/nobody/send-verify-email', admin())).status).toBe(404);
    await sleep(300);
    expect(smtp.to('off@example.test')).toEqual([]);
    expect(smtp.to('fine@example.test')).toEqual([]);
  });

  it('is for admins only', async () => {
    const u = await userWithEmail(t, 'plain', 'plain@example.test');
    const s = await t.login(u.username, u.password);
    expect((await t.api('PUT', '/users/plain/execute-actions-email', { token: s.token, body: ['UPDATE_PASSWORD'] })).status).toBe(403);
    expect((await t.api('GET', '/outbox', { token: s.token })).status).toBe(403);
  });
});

describe('a user who forgot their password', () => {
  it('gets a link by username or by e-mail address that sets a new password and ends every session', async () => {
    const u = await userWithEmail(t, 'bo', 'Bo@Example.test');
    const one = await t.login(u.username, u.password);
    const two = await t.login(u.username, u.password);
    const r = await t.api('POST', '/reset-credentials', { body: { username: 'bo@example.test' } });
    expect(r.status).toBe(202);
    const mail = await smtp.next('Bo@Example.test');
    expect(mail.subject).toBe('Reset your password');
    const page = await openLink(mail.link!);
    expect(page.html).toContain('Set a new password');
    // a mistake on the form leaves the link working
    const mismatch = await postLink(mail.link!, { 'password-new': 'first-choice-1', 'password-confirm': 'other-choice-1' });
    expect([mismatch.status, mismatch.html.includes('The passwords do not match.')]).toEqual([400, true]);
    const short = await setPasswordVia(mail.link!, 'short');
    expect(short.html).toContain('must be 8 to 256 characters');
    expect((await setPasswordVia(mail.link!, 'bo-new-password')).status).toBe(200);
    expect((await t.api('GET', '/me', { token: one.token })).status).toBe(401);
    expect((await t.api('GET', '/me', { token: two.token })).status).toBe(401);
    expect((await t.api('POST', '/login', { body: { username: 'bo', password: u.password } })).status).toBe(401);
    expect((await t.api('POST', '/login', { body: { username: 'bo', password: 'bo-new-password' } })).status).toBe(201);
  });

  it('cannot use a link twice: the second time changes nothing and says it was used', async () => {
    await userWithEmail(t, 'cy', 'cy@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'cy' } });
    const mail = await smtp.next('cy@example.test');
    expect((await setPasswordVia(mail.link!, 'cy-first-reset')).status).toBe(200);
    const again = await setPasswordVia(mail.link!, 'cy-second-reset');
    expect([again.status, refusal(again)]).toEqual([400, 'used']);
    expect(again.html).toContain('Nothing was changed');
    expect(again.html).toContain('/realms/default/login-actions/reset-credentials');
    expect(refusal(await openLink(mail.link!))).toBe('used');
    expect((await t.api('POST', '/login', { body: { username: 'cy', password: 'cy-second-reset' } })).status).toBe(401);
    expect((await t.api('POST', '/login', { body: { username: 'cy', password: 'cy-first-reset' } })).status).toBe(201);
  });

  it('lets only one of two simultaneous posts of the same link through', async () => {
    await userWithEmail(t, 'duo', 'duo@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'duo' } });
    const mail = await smtp.next('duo@example.test');
    const pages = await Promise.all(['duo-pass-one', 'duo-pass-two', 'duo-pass-three'].map((p) => setPasswordVia(mail.link!, p)));
    expect(pages.filter((p) => p.status === 200)).toHaveLength(1);
    expect(pages.filter((p) => refusal(p) === 'used')).toHaveLength(2);
  });

  it('finds a newer link supersedes the older one', async () => {
    await userWithEmail(t, 'dee', 'dee@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'dee' } });
    const first = await smtp.next('dee@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'dee' } });
    const second = await smtp.next('dee@example.test', 20_000, smtp.messages.indexOf(first) + 1);
    expect(second.link).not.toBe(first.link);
    const old = await setPasswordVia(first.link!, 'dee-from-old-link');
    expect([old.status, refusal(old)]).toEqual([400, 'superseded']);
    expect((await t.api('POST', '/login', { body: { username: 'dee', password: 'dee-from-old-link' } })).status).toBe(401);
    expect((await setPasswordVia(second.link!, 'dee-from-new-link')).status).toBe(200);
  });

  it('refuses a tampered link', async () => {
    await userWithEmail(t, 'eve', 'eve@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'eve' } });
    const mail = await smtp.next('eve@example.test');
    const u = new URL(mail.link!);
    const key = u.searchParams.get('key')!;
    const [body, mac] = key.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    u.searchParams.set('key', `${Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600_000 })).toString('base64url')}.${mac}`);
    const forged = await setPasswordVia(u.toString(), 'eve-forged-pass');
    expect([forged.status, refusal(forged)]).toEqual([400, 'tampered']);
    expect(refusal(await openLink(`${t.url}/realms/default/login-actions/action-token?key=${key.slice(0, -3)}`))).toBe('tampered');
    expect((await t.api('POST', '/login', { body: { username: 'eve', password: 'eve-forged-pass' } })).status).toBe(401);
    // the genuine link still works
    expect((await setPasswordVia(mail.link!, 'eve-real-pass')).status).toBe(200);
  });

  it('answers 202 and sends nothing for an unknown user or a user without an e-mail address (no enumeration)', async () => {
    await userWithEmail(t, 'quiet', null);
    const before = (await t.api('GET', '/outbox', admin())).body.messages.length;
    const unknown = await t.api('POST', '/reset-credentials', { body: { username: 'no-such-user' } });
    const noMail = await t.api('POST', '/reset-credentials', { body: { username: 'quiet' } });
    const unknownAddress = await t.api('POST', '/reset-credentials', { body: { username: 'nobody@example.test' } });
    for (const r of [unknown, noMail, unknownAddress]) expect([r.status, r.body]).toEqual([202, null]);
    await sleep(500);
    expect((await t.api('GET', '/outbox', admin())).body.messages.length).toBe(before);
    expect(smtp.to('nobody@example.test')).toEqual([]);
  });

  it('sends at most 5 links a user an hour, still answering 202', async () => {
    await userWithEmail(t, 'flood', 'flood@example.test');
    for (let i = 0; i < 7; i++) expect((await t.api('POST', '/reset-credentials', { body: { username: 'flood' }, headers: { 'x-n': String(i) } })).status).toBe(202);
    await sleep(1500);
    const outbox = (await t.api('GET', '/outbox', admin())).body.messages.filter((m: { to: string }) => m.to === 'flood@example.test');
    expect(outbox).toHaveLength(5);
  });

  it('refuses a form posted from another origin, changing nothing', async () => {
    await userWithEmail(t, 'fay', 'fay@example.test');
    await t.api('POST', '/reset-credentials', { body: { username: 'fay' } });
    const mail = await smtp.next('fay@example.test');
    const forged = await postLink(mail.link!, { 'password-new': 'fay-forged-pass', 'password-confirm': 'fay-forged-pass' }, { origin: 'https://evil.example.test' });
    expect(forged.status).toBe(403);
    // a page without a referrer posts `Origin: null`: only the browser's Sec-Fetch-Site can vouch for it
    const opaque = await postLink(mail.link!, { 'password-new': 'fay-forged-pass', 'password-confirm': 'fay-forged-pass' }, { origin: 'null', 'sec-fetch-site': 'cross-site' });
    expect(opaque.status).toBe(403);
    expect((await t.api('POST', '/login', { body: { username: 'fay', password: 'fay-forged-pass' } })).status).toBe(401);
    expect((await setPasswordVia(mail.link!, 'fay-real-pass')).status).toBe(200);
  });
});

describe('verify e-mail', () => {
  it('confirms the address the link was sent to, and only while it is still the user\'s', async () => {
    await userWithEmail(t, 'gil', 'gil@example.test');
    expect((await t.api('GET', '/users', admin())).body.users.find((x: { username: string }) => x.username === 'gil')).toMatchObject({ email: 'gil@example.test', emailVerified: false });
    expect((await t.api('PUT', '/users/gil/send-verify-email', admin())).status).toBe(204);
    const mail = await smtp.next('gil@example.test');
    expect(mail.subject).toBe('Verify your e-mail address');
    expect((await openLink(mail.link!)).html).toContain('Confirm e-mail address');
    expect((await postLink(mail.link!)).html).toContain('Your e-mail address gil@example.test is confirmed');
    expect((await t.api('GET', '/users/gil', admin())).body.user.emailVerified).toBe(true);

    // a link to an address the user no longer has confirms nothing
    await t.api('PUT', '/users/gil/send-verify-email', admin());
    const second = await smtp.next('gil@example.test', 20_000, smtp.messages.indexOf(mail) + 1);
    expect((await t.api('PATCH', '/users/gil', { ...admin(), body: { email: 'gil@other.test' } })).body.user).toMatchObject({ email: 'gil@other.test', emailVerified: false });
    expect(refusal(await postLink(second.link!))).toBe('account');
    expect((await t.api('GET', '/users/gil', admin())).body.user.emailVerified).toBe(false);
  });

  it('with the realm\'s verifyEmail on, mails a new user with an address, or a changed address, a verify-email link', async () => {
    expect((await t.api('PATCH', '/policy', { ...admin(), body: { verifyEmail: true } })).body.policy.verifyEmail).toBe(true);
    try {
      await userWithEmail(t, 'kai', 'kai@example.test');
      const mail = await smtp.next('kai@example.test');
      expect(mail.subject).toBe('Verify your e-mail address');
      expect((await postLink(mail.link!)).status).toBe(200);
      expect((await t.api('GET', '/users/kai', admin())).body.user.emailVerified).toBe(true);
      await t.api('PATCH', '/users/kai', { ...admin(), body: { email: 'kai@new.test' } });
      expect((await smtp.next('kai@new.test')).subject).toBe('Verify your e-mail address');
      // an address the admin vouches for is not mailed
      await userWithEmail(t, 'lia', 'lia@example.test', { emailVerified: true });
      await sleep(500);
      expect(smtp.to('lia@example.test')).toEqual([]);
    } finally {
      await t.api('PATCH', '/policy', { ...admin(), body: { verifyEmail: false } });
    }
  });

  it('keeps addresses unique in a realm', async () => {
    await userWithEmail(t, 'hal', 'hal@example.test');
    const dup = await t.api('POST', '/users', { ...admin(), body: { username: 'hal2', password: 'hal2-password', email: 'HAL@example.test' } });
    expect(dup.status).toBe(409);
    expect((await t.api('POST', '/users', { ...admin(), body: { username: 'hal3', password: 'hal3-password', email: 'not an address' } })).body.message).toMatch(/^email must be /);
  });
});

describe('PUT /me/password', () => {
  it('needs the current password, ends the user\'s other sessions and keeps the current one', async () => {
    const u = await userWithEmail(t, 'ivy', null);
    const here = await t.login(u.username, u.password);
    const there = await t.login(u.username, u.password);
    const wrong = await t.api('PUT', '/me/password', { token: here.token, body: { currentPassword: 'not-it-at-all', password: 'ivy-new-password' } });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'VIGIL_ERR_INVALID_CREDENTIALS']);
    expect((await t.api('PUT', '/me/password', { token: here.token, body: { currentPassword: u.password, password: 'short' } })).status).toBe(400);
    expect((await t.api('PUT', '/me/password', { token: here.token, body: { currentPassword: u.password, password: 'ivy-new-password' } })).status).toBe(204);
    expect((await t.api('GET', '/me', { token: here.token })).status).toBe(200);
    expect((await t.api('GET', '/me', { token: there.token })).status).toBe(401);
    expect((await t.api('POST', '/login', { body: { username: 'ivy', password: u.password } })).status).toBe(401);
    expect((await t.api('POST', '/login', { body: { username: 'ivy', password: 'ivy-new-password' } })).status).toBe(201);
  });
});

describe('the events', () => {
  it('reach admins as they happen, and never viewers or display keys', async () => {
    await t.createUser('watcher', { roles: ['viewer'] });
    const viewer = await t.login('watcher', 'watcher-password');
    const key = (await t.api('POST', '/display-keys', { ...admin(), body: { name: 'Wall' } })).body.displayKey.key;
    const clients = [new WsClient(`${t.wsUrl}/ws`, { token: t.adminToken }), new WsClient(`${t.wsUrl}/ws`, { token: viewer.token }), new WsClient(`${t.wsUrl}/ws`, { token: key })];
    for (const c of clients) {
      await c.waitFor((m) => m.type === 'hello');
      c.send({ type: 'subscribe', topic: 'sessions' });
      await c.waitFor((m) => m.type === 'snapshot');
    }
    const [adminWs, viewerWs, wallWs] = clients as [WsClient, WsClient, WsClient];
    const u = await userWithEmail(t, 'jo', 'jo@example.test');
    await t.api('PUT', '/users/jo/execute-actions-email', { ...admin(), body: ['UPDATE_PASSWORD'] });
    const mail = await smtp.next('jo@example.test');
    await setPasswordVia(mail.link!, 'jo-new-password');
    await setPasswordVia(mail.link!, 'jo-newer-password');

    const issued = await adminWs.waitForEvent('action_token.issued');
    expect(issued.data).toMatchObject({ username: 'jo', operation: 'execute-actions', actions: ['UPDATE_PASSWORD'], by: { username: 'admin' } });
    expect(Date.parse(issued.data.expiresAt as string)).toBeGreaterThan(Date.now() + 43000_000);
    expect((await adminWs.waitForEvent('mail.sent')).data).toMatchObject({ username: 'jo', to: 'jo@example.test', attempts: 1 });
    expect((await adminWs.waitForEvent('action_token.used')).data).toMatchObject({ username: 'jo', operation: 'execute-actions' });
    expect((await adminWs.waitForEvent('action_token.rejected')).data).toMatchObject({ username: 'jo', reason: 'used' });

    // an event every subscriber gets, after the others: by then the credential ones would have arrived too
    const marker = await t.login(u.username, 'jo-new-password');
    for (const c of [viewerWs, wallWs]) {
      await c.waitForEvent('session.started', marker.session.id);
      expect(c.events().filter((e) => e.name.startsWith('action_token.') || e.name.startsWith('mail.'))).toEqual([]);
    }
    for (const c of clients) c.close();
  });
});
