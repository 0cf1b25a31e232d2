/**
 * The Access view in a real Chromium against the real server: sign-in, live rows, the
 * disabled current row, terminate with a confirmation checkbox, Terminate Other Sessions,
 * and the Token Settings bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, rowOf, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;
let admin: Page;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp();
  browser = await launch();
  admin = await newPage(browser);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('the dashboard', () => {
  it('signs an admin in and shows the Access page', async () => {
    await admin.goto(`${app.url}/`);
    await admin.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
    await screenshot(admin, '01-sign-in');
    await admin.getByLabel('Username').fill(app.adminUsername);
    await admin.getByLabel('Password').fill('wrong-password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByText('Incorrect username or password.').waitFor();
    await screenshot(admin, '02-sign-in-error');
    await admin.getByLabel('Password').fill(app.adminPassword);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('heading', { name: 'Access' }).waitFor();
    await admin.locator('vigil-connection-badge[state="live"]').first().waitFor();
    expect(new URL(admin.url()).pathname).toBe('/access');
    // the bootstrap admin session (helper) and ours
    await expect.poll(() => rowOf(admin, 'admin').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => admin.getByRole('navigation', { name: 'Main' }).getByRole('link').evaluateAll((els) => els.map((e) => e.textContent!.trim()))).toEqual(
      expect.arrayContaining(['Access', 'Token Settings', 'Realm settings', 'Users', 'Display keys']),
    );
  });

  it('shows a session started from another browser without a reload', async () => {
    await app.createUser('alice', { password: 'alice-password-1' });
    const before = await rowOf(admin, 'alice').count();
    expect(before).toBe(0);
    const other = await newPage(browser);
    await signIn(other, app.url, 'alice', 'alice-password-1');
    await rowOf(admin, 'alice').first().waitFor({ timeout: 10_000 });
    await expect.poll(() => rowOf(admin, 'alice').count()).toBe(1);
    await screenshot(admin, '03-access-live');
    await other.context().close();
  });

  it('names the device of a session by its browser and system, parsed on the server', async () => {
    await app.createUser('dana', { password: 'dana-password-1' });
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
    const minted = await app.api('POST', '/api/v1/realms/default/sessions', { token: app.adminToken, body: { username: 'dana', origin: { userAgent: ua } } });
    expect(minted.status).toBe(201);
    expect(minted.body.session.origin.device).toEqual({ browser: 'Firefox 133', os: 'Linux', type: 'desktop' });
    const cell = rowOf(admin, 'dana').locator('.origin .ua');
    await cell.waitFor({ timeout: 10_000 });
    expect(await cell.locator('.device-name').textContent()).toBe('Firefox 133 on Linux');
    expect(await cell.getAttribute('data-device-type')).toBe('desktop');
    expect(await cell.locator('svg').count()).toBe(1);
    expect(await cell.getAttribute('title')).toBe(`Desktop · ${ua}`);
    // a client the parser does not know is shown by its raw user agent
    await app.api('POST', '/api/v1/realms/default/sessions', { token: app.adminToken, body: { username: 'dana', origin: { userAgent: 'curl/8.5.0' } } });
    await expect.poll(() => rowOf(admin, 'dana').locator('.device-name').allTextContents(), { timeout: 10_000 }).toEqual(expect.arrayContaining(['Firefox 133 on Linux', 'curl/8.5.0']));
    await screenshot(admin, '03b-access-devices');
  });

  it('disables the logout button of the current session, with the reason', async () => {
    const current = admin.locator('vigil-access .row.current');
    await expect.poll(() => current.count()).toBe(1);
    const button = current.locator('button[data-action="terminate"]');
    expect(await button.getAttribute('aria-disabled')).toBe('true');
    expect(await button.isDisabled()).toBe(true);
    await button.hover();
    await admin.getByText('This session is current and cannot be terminated').waitFor();
    await button.click({ force: true });
    expect(await admin.getByRole('dialog').count()).toBe(0);
  });

  it('terminates a row only after the checkbox is ticked, and that browser lands on sign-in', async () => {
    await app.createUser('bob', { password: 'bob-password-1' });
    const victim = await newPage(browser);
    await signIn(victim, app.url, 'bob', 'bob-password-1');
    const row = rowOf(admin, 'bob');
    await row.waitFor({ timeout: 10_000 });
    await row.locator('button[data-action="terminate"]').click();
    await admin.getByRole('dialog', { name: 'Terminate session' }).waitFor();
    // slotted content belongs to the dialog in the accessibility tree, not in the DOM: scope by the host
    const dialog = admin.locator('vigil-confirm-dialog[open]');
    const confirm = dialog.getByRole('button', { name: 'Terminate', exact: true });
    expect(await confirm.isDisabled()).toBe(true);
    await screenshot(admin, '04-terminate-confirm');
    await dialog.getByRole('checkbox', { name: 'Confirm' }).check();
    expect(await confirm.isDisabled()).toBe(false);
    await confirm.click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await victim.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 15_000 });
    expect(await victim.getByTestId('end-notice').textContent()).toContain('terminated by an administrator');
    await screenshot(victim, '05-sign-in-after-termination');
    // the browser still holds the ended session's cookie: signing in again must work
    await signIn(victim, app.url, 'bob', 'bob-password-1');
    await rowOf(admin, 'bob').waitFor({ timeout: 10_000 });
    await victim.context().close();
  });

  it('Terminate Other Sessions ends every other session and spares the caller', async () => {
    await app.createUser('carol', { password: 'carol-password-1' });
    const c1 = await newPage(browser);
    await signIn(c1, app.url, 'carol', 'carol-password-1');
    await rowOf(admin, 'carol').waitFor({ timeout: 10_000 });
    await admin.getByRole('button', { name: 'Terminate Other Sessions' }).click();
    await admin.getByRole('dialog', { name: 'Terminate Other Sessions' }).waitFor();
    const dialog = admin.locator('vigil-confirm-dialog[open]');
    const confirm = dialog.getByRole('button', { name: 'Terminate Other Sessions' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('checkbox', { name: 'Confirm' }).check();
    await confirm.click();
    await expect.poll(() => admin.locator('vigil-access .row').count(), { timeout: 10_000 }).toBe(1);
    expect(await admin.locator('vigil-access .row.current').count()).toBe(1);
    await c1.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 15_000 });
    expect(await c1.getByTestId('end-notice').textContent()).toContain('Terminate Other Sessions');
    await c1.context().close();
    // the caller is still signed in
    expect((await admin.evaluate(async () => (await fetch('/api/v1/realms/default/me')).status))).toBe(200);
  });

  it('Token Settings refuses 29 and 2147483 with the bounds and accepts 30', async () => {
    await admin.getByRole('button', { name: 'Configure' }).click();
    await admin.getByRole('heading', { name: 'Token Settings' }).waitFor();
    expect(new URL(admin.url()).pathname).toBe('/settings');
    const input = admin.getByLabel('Token Lifetime (seconds)');
    const save = admin.getByRole('button', { name: 'Save' });
    for (const bad of ['29', '2147483']) {
      await input.fill(bad);
      await save.click();
      const error = admin.getByTestId('lifetime-error');
      await error.waitFor();
      const text = (await error.textContent()) ?? '';
      expect(text).toContain('30');
      expect(text).toContain('2147482');
    }
    await screenshot(admin, '06-token-settings-error');
    await input.fill('2147482');
    expect(await admin.getByTestId('humanized').textContent()).toBe('24 days, 20 hours, 31 minutes, 22 seconds');
    await input.fill('30');
    await save.click();
    await admin.getByText('Saved.').waitFor();
    // (the helper's admin token ended with Terminate Other Sessions: ask as the page)
    const lifetime = await admin.evaluate(async () => (await (await fetch('/api/v1/realms/default/me')).json()).user.tokenLifetime);
    expect(lifetime).toBe(30);
    await screenshot(admin, '07-token-settings-saved');
    // put it back so the admin page does not idle out during the next tests
    await input.fill('3600');
    await save.click();
    await admin.getByText('Saved.').waitFor();
  });

  it('renders the admin pages', async () => {
    await admin.getByRole('link', { name: 'Realm settings' }).click();
    await admin.getByRole('heading', { name: 'Realm settings' }).waitFor();
    await admin.locator('vigil-duration-input[data-field="accessTokenLifespan"]').waitFor();
    await screenshot(admin, '08-realm-settings');
    await admin.setViewportSize({ width: 1440, height: 2400 });
    await screenshot(admin, '08b-realm-settings-full');
    await admin.setViewportSize({ width: 1440, height: 900 });

    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.locator('vigil-users tr[data-user="alice"]').waitFor();
    await screenshot(admin, '09-users');
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.getByRole('dialog', { name: 'Create user' }).waitFor();
    await screenshot(admin, '10-users-create');
    await admin.keyboard.press('Escape');

    await admin.getByRole('link', { name: 'Display keys' }).click();
    await admin.getByRole('heading', { name: 'Display keys' }).waitFor();
    await admin.getByRole('button', { name: 'Create key' }).click();
    await admin.getByRole('dialog', { name: 'Create display key' }).waitFor();
    const keyDialog = admin.locator('vigil-display-keys vigil-dialog[open]');
    await keyDialog.getByLabel('Name').fill('NOC wall');
    await keyDialog.getByRole('button', { name: 'Create key' }).click();
    const url = admin.getByTestId('wall-url');
    await url.waitFor();
    expect(await url.inputValue()).toMatch(new RegExp(`^${app.url}/wall#key=vk_`));
    await screenshot(admin, '11-display-key-created');
  });
});
