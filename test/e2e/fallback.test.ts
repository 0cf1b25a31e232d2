/**
 * Networks whose proxies block WebSockets: the dashboard stays live over Socket.IO's HTTP
 * long-polling (every WebSocket the page opens is refused here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, rowOf, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('without WebSockets', () => {
  it('stays live over HTTP long-polling', async () => {
    const page = await newPage(browser);
    let refused = 0;
    await page.context().routeWebSocket(/.*/, (ws) => {
      refused++;
      ws.close({ code: 1006, reason: 'blocked by proxy' });
    });
    let polls = 0;
    page.on('request', (r) => { if (r.url().includes('/socket.io/') && r.url().includes('transport=polling')) polls++; });
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await app.createUser('polly', { password: 'polly-password-1' });
    await app.login('polly', 'polly-password-1');
    await rowOf(page, 'polly').waitFor({ timeout: 15_000 });
    expect(polls).toBeGreaterThan(0);
    expect(await page.locator('vigil-connection-badge[state="live"]').count()).toBeGreaterThan(0);
    // the attempt to upgrade was made and refused, and nothing broke
    await expect.poll(() => refused, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.context().close();
  });
});
