/**
 * Realm settings (admin), keyboard use of dialogs, and the layout from a 1280-px laptop to a
 * 4K screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp();
  browser = await launch();
  page = await newPage(browser);
  await signIn(page, app.url, app.adminUsername, app.adminPassword);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** The focused element, looking through shadow roots; returns a description. */
const focused = (p: Page) =>
  p.evaluate(() => {
    let a: Element | null = document.activeElement;
    const path: string[] = [];
    while (a) {
      path.push(a.tagName.toLowerCase());
      a = a.shadowRoot?.activeElement ?? null;
    }
    return path.join('>');
  });

describe('realm settings', () => {
  it('edits a duration in another unit, warns when the access token outlives SSO idle, and saves', async () => {
    await page.getByRole('link', { name: 'Realm settings' }).click();
    const lifespan = page.locator('vigil-duration-input[data-field="accessTokenLifespan"]');
    await lifespan.waitFor();
    expect(await page.getByTestId('lifespan-warning').count()).toBe(0);
    await lifespan.getByRole('textbox').fill('2');
    await lifespan.getByRole('combobox').selectOption('hours');
    await page.getByTestId('lifespan-warning').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. Live sessions use the new policy now.').waitFor();
    const policy = await app.api('GET', '/policy', { token: app.adminToken });
    expect(policy.body.policy.accessTokenLifespan).toBe(7200);
    await page.getByTestId('lifespan-warning').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(page, '17-realm-settings-warning');
  });

  it('refuses a value outside the bounds and names them', async () => {
    const prompt = page.locator('vigil-duration-input[data-field="expiryPromptSeconds"]');
    await prompt.getByRole('combobox').selectOption('seconds');
    await prompt.getByRole('textbox').fill('3');
    await prompt.getByText('expiryPromptSeconds must be an integer from 5 to 3600').waitFor();
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await prompt.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(page, '18-realm-settings-invalid');
    await page.getByRole('button', { name: 'Revert' }).click();
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
  });

  it('sets the session limit and what a sign-in past it does', async () => {
    const max = page.locator('vigil-realm-settings input[data-field="maxSessionsPerUser"]');
    const behavior = page.locator('vigil-realm-settings select[data-field="sessionLimitBehavior"]');
    // unlimited: the behaviour has nothing to apply to
    expect(await behavior.isDisabled()).toBe(true);
    await max.fill('10001');
    await page.locator('vigil-realm-settings').getByText('maxSessionsPerUser must be an integer from 0 to 10000').first().waitFor();
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await max.fill('3');
    await behavior.selectOption('deny-new');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. Live sessions use the new policy now.').waitFor();
    const policy = await app.api('GET', '/policy', { token: app.adminToken });
    expect(policy.body.policy).toMatchObject({ maxSessionsPerUser: 3, sessionLimitBehavior: 'deny-new' });
    await max.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(page, '43-realm-settings-session-limit');
    await app.api('PATCH', '/policy', { token: app.adminToken, body: { maxSessionsPerUser: 0, sessionLimitBehavior: 'terminate-oldest' } });
  });
});

describe('keyboard', () => {
  it('keeps focus inside an open dialog and closes it with Escape', async () => {
    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByRole('button', { name: 'Terminate Other Sessions' }).click();
    await page.getByRole('dialog', { name: 'Terminate Other Sessions' }).waitFor();
    await expect.poll(() => focused(page)).toContain('vigil-confirm-dialog');
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      expect(await focused(page)).toContain('vigil-confirm-dialog');
    }
    // the confirm checkbox works from the keyboard and enables the button
    const box = page.locator('vigil-confirm-dialog[open]').getByRole('checkbox', { name: 'Confirm' });
    await box.focus();
    await page.keyboard.press('Space');
    expect(await page.locator('vigil-confirm-dialog[open]').getByRole('button', { name: 'Terminate Other Sessions' }).isDisabled()).toBe(false);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Terminate Other Sessions' }).waitFor({ state: 'hidden' });
  });
});

describe('layout', () => {
  it('fits a 1280-px laptop and a 4K screen', async () => {
    await page.getByRole('link', { name: 'Access' }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
    const button = page.locator('vigil-access .row.current button[data-action="terminate"]');
    await button.waitFor();
    const box = await button.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(1280);
    await screenshot(page, '19-access-1280');
    await page.setViewportSize({ width: 3840, height: 2160 });
    await page.waitForTimeout(300);
    const big = await button.boundingBox();
    expect(big!.x + big!.width).toBeLessThanOrEqual(3840);
    expect(big!.width).toBeGreaterThan(box!.width * 1.5);
    await screenshot(page, '20-access-4k');
    await page.setViewportSize({ width: 1440, height: 900 });
  });
});

describe('roles', () => {
  it('gives a viewer a read-only Access view and no admin pages', async () => {
    await app.createUser('vera', { password: 'vera-password-1', roles: ['viewer'] });
    const viewer = await newPage(browser);
    await signIn(viewer, app.url, 'vera', 'vera-password-1');
    await expect.poll(() => viewer.locator('vigil-access .row').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await viewer.getByRole('button', { name: 'Terminate Other Sessions' }).count()).toBe(0);
    expect(await viewer.locator('vigil-access button[data-action="terminate"]').count()).toBe(0);
    const links = await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link').evaluateAll((els) => els.map((e) => e.textContent!.trim()));
    expect(links).not.toContain('Users');
    expect(links).not.toContain('Realm settings');
    await viewer.goto(`${app.url}/users`);
    await viewer.getByText('Not available for your role').waitFor();
    await viewer.context().close();
  });

  it('follows a role change without a reload: a demoted admin loses the admin pages', async () => {
    await app.createUser('adam', { password: 'adam-password-1', roles: ['admin'] });
    const demoted = await newPage(browser);
    await signIn(demoted, app.url, 'adam', 'adam-password-1');
    const nav = demoted.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Users' }).click();
    await demoted.locator('vigil-users').waitFor();
    const r = await app.api('PATCH', '/users/adam', { token: app.adminToken, body: { roles: ['user'] } });
    expect(r.status).toBe(200);
    await demoted.getByText('Not available for your role').waitFor({ timeout: 15_000 });
    const links = await nav.getByRole('link').evaluateAll((els) => els.map((e) => e.textContent!.trim()));
    expect(links).not.toContain('Users');
    expect(links).toContain('Access');
    await demoted.context().close();
  });

  it('shows a user only their own sessions', async () => {
    await app.createUser('uma', { password: 'uma-password-1' });
    const user = await newPage(browser);
    await signIn(user, app.url, 'uma', 'uma-password-1');
    await expect.poll(() => user.locator('vigil-access .row').count(), { timeout: 10_000 }).toBe(1);
    expect(await user.locator('vigil-access .row[data-user="uma"]').count()).toBe(1);
    await screenshot(user, '22-access-as-user');
    await user.context().close();
  });
});
