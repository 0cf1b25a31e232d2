/**
 * The session guard against real server-side timers (token lifetime 30 s, prompt 20 s):
 * the Logout dialog shows the exceeded lifetime and the termination time, Extend keeps the
 * session, ignoring it lands on sign-in, and an Extend in one tab closes the prompt in all.
 * Real timers: generous timeouts, no timing assertions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  // a 20 s prompt leaves room to read, screenshot and click on a loaded machine before the expiry
  app = await startTestApp({ policy: { expiryPromptSeconds: 20 } });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const prompt = (page: Page) => page.getByRole('dialog', { name: 'Logout' });
const guard = (page: Page) => page.locator('vigil-session-guard');

describe('the session guard', () => {
  it('warns with the lifetime and the termination time; Extend keeps the session; ignoring it signs out', async () => {
    await app.createUser('dora', { password: 'dora-password-1', tokenLifetime: 30 });
    const page = await newPage(browser);
    await signIn(page, app.url, 'dora', 'dora-password-1');
    await prompt(page).waitFor({ timeout: 60_000 });
    expect(await guard(page).getByTestId('lifetime').textContent()).toBe('30 seconds');
    expect(await guard(page).getByTestId('terminate-at').textContent()).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    await screenshot(page, '12-logout-prompt');
    await guard(page).getByRole('button', { name: 'Extend Session' }).click();
    await prompt(page).waitFor({ state: 'hidden', timeout: 10_000 });
    expect(await page.evaluate(async () => (await fetch('/api/v1/realms/default/me')).status)).toBe(200);
    // now ignore the next prompt: the server ends the session and the page goes to sign-in
    await prompt(page).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('end-notice').textContent()).toContain('expired');
    expect(new URL(page.url()).searchParams.get('ended')).toBe('expired');
    await screenshot(page, '13-sign-in-after-expiry');
    await page.context().close();
  }, 150_000);

  it('Extend in one tab closes the prompt in every tab', async () => {
    await app.createUser('erin', { password: 'erin-password-1', tokenLifetime: 30 });
    const first = await newPage(browser);
    await signIn(first, app.url, 'erin', 'erin-password-1');
    const second = await first.context().newPage();
    await second.goto(`${app.url}/access`);
    await second.locator('vigil-access').waitFor();
    await Promise.all([prompt(first).waitFor({ timeout: 60_000 }), prompt(second).waitFor({ timeout: 60_000 })]);
    await guard(first).getByRole('button', { name: 'Extend Session' }).click();
    await Promise.all([
      prompt(first).waitFor({ state: 'hidden', timeout: 10_000 }),
      prompt(second).waitFor({ state: 'hidden', timeout: 10_000 }),
    ]);
    expect(await second.evaluate(async () => (await fetch('/api/v1/realms/default/me')).status)).toBe(200);
    await first.context().close();
  }, 120_000);
});
