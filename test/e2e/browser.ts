/**
 * Shared pieces of the dashboard's end-to-end tests: Debian's Chromium through
 * playwright-core, sign-in through the real form, screenshots under test-output/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = path.join(repo, 'test-output', 'screenshots');

/** The e2e tests run against the built dashboard; say how to build it when it is missing. */
export function assertBuilt(): void {
  if (!existsSync(path.join(repo, 'web', 'dist', 'index.html')) || !existsSync(path.join(repo, 'web', 'dist', 'vigil-guard.js'))) {
    throw new Error('web/dist is not built: run `npx vite build --config web/vite.config.ts` (npm run build) first');
  }
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function newPage(browser: Browser, width = 1440, height = 900): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height } });
  return ctx.newPage();
}

/** Signs in through the form at `/` and waits for the Access page. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  // exact: a realm with identity providers also offers "Sign in with …" buttons
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('vigil-access').waitFor();
  await page.locator('vigil-connection-badge[state="live"]').first().waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** The Access row of a user (the first one when they have several). */
export function rowOf(page: Page, username: string) {
  return page.locator(`vigil-access .row[data-user="${username}"]`);
}
