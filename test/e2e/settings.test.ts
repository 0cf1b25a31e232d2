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
