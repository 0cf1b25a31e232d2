/**
 * The e-mailed flows as a person uses them, in Chromium, against a real SMTP server on
 * loopback: forgot password from the dashboard's sign-in through the link to signing in with
 * the new password; an admin's "Send actions e-mail" from the Users page, read in the Outbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TestSmtp } from '../helpers/smtp.js';
import { userWithEmail } from '../helpers/action-links.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;
const smtp = new TestSmtp();

beforeAll(async () => {
  assertBuilt();
  await smtp.start();
  [app, browser] = await Promise.all([startTestApp({ env: { VIGIL_SMTP_URL: smtp.url } }), launch()]);
  await userWithEmail(app, 'rosa', 'rosa@example.test');
});
afterAll(async () => {
  await Promise.all([browser?.close(), app?.close()]);
  await smtp.stop();
});

describe('Forgot password', () => {
  it('takes a person from the sign-in page through the e-mailed link to signing in with the new password', async () => {
    const { token: before } = await app.login('rosa', 'rosa-password');
    const page = await newPage(browser);
    await page.goto(`${app.url}/`);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('Username or e-mail').fill('rosa@example.test');
    await screenshot(page, '40-forgot-password');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    const said = await page.getByRole('status').innerText();
    expect(said).toContain('If an account with that username or e-mail address exists');

    // someone who does not exist gets the very same answer
    const other = await newPage(browser);
    await other.goto(`${app.url}/realms/default/login-actions/reset-credentials`);
    await other.getByLabel('Username or e-mail').fill('nobody-at-all');
    await other.getByRole('button', { name: 'Send me a link' }).click();
    expect(await other.getByRole('status').innerText()).toBe(said);

    const mail = await smtp.next('rosa@example.test');
    await page.goto(mail.link!);
    await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
    await page.getByLabel('New password').fill('rosa-fresh-secret');
    await page.getByLabel('Confirm password').fill('rosa-fresh-secret');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password has been changed').waitFor();
    await screenshot(page, '41-password-changed');
    expect((await app.api('GET', '/me', { token: before })).status).toBe(401);

    // the link is used up
    await page.goto(mail.link!);
    await page.getByRole('heading', { name: 'Link already used' }).waitFor();

    await page.goto(`${app.url}/`);
    await page.getByLabel('Username').fill('rosa');
    await page.getByLabel('Password').fill('rosa-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Incorrect username or password.').waitFor();
    await signIn(page, app.url, 'rosa', 'rosa-fresh-secret');
  });

  it('is offered on the OIDC login page too', async () => {
    await app.api('POST', '/clients', { token: app.adminToken, body: { clientId: 'spa', publicClient: true, redirectUris: ['http://127.0.0.1:1/cb'] } });
    const page = await newPage(browser);
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    await page.goto(`${app.url}/realms/default/protocol/openid-connect/auth?client_id=spa&response_type=code&redirect_uri=${encodeURIComponent('http://127.0.0.1:1/cb')}&scope=openid&code_challenge=${challenge}&code_challenge_method=S256`);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
  });
});

describe('Users and Outbox', () => {
  it('an admin sends an actions e-mail with its own lifespan and reads it in the Outbox', async () => {
    await userWithEmail(app, 'sam', 'sam@example.test');
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await page.getByRole('link', { name: 'Users' }).click();
    const row = page.locator('vigil-users tr[data-user="sam"]');
    await row.getByText('not verified').waitFor();
    await row.getByRole('button', { name: 'Send actions e-mail to sam' }).click();
    const dialog = page.locator('vigil-users vigil-dialog[open]');
    await dialog.getByRole('checkbox', { name: 'Verify e-mail' }).check();
    await dialog.getByRole('checkbox', { name: 'Own link lifespan for this send' }).check();
    await dialog.getByRole('textbox', { name: 'Link lifespan' }).fill('2');
    await dialog.getByRole('combobox', { name: 'Link lifespan unit' }).selectOption('hours');
    await screenshot(page, '42-send-actions');
    await dialog.getByRole('button', { name: 'Send e-mail' }).click();
    await page.getByTestId('users-notice').waitFor();

    const mail = await smtp.next('sam@example.test');
    expect(mail.subject).toBe('Update your account');
    expect(mail.text).toContain('for 2 hours');

    await page.getByRole('link', { name: 'Outbox' }).click();
    const msg = page.locator('vigil-outbox tr[data-message]', { hasText: 'sam@example.test' });
    await msg.getByText('sent').waitFor({ timeout: 15_000 });
    await msg.getByRole('button', { name: /^Read Update your account/ }).click();
    expect(await page.getByTestId('message-text').innerText()).toContain('/login-actions/action-token?key=');
    await screenshot(page, '43-outbox');
  });
});
