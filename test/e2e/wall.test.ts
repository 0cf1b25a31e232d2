/** The wall display, authorised by a display key in the URL fragment: counters and chart move live, over the `stats` topic. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, screenshot } from './browser.js';

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

const counter = async (page: Page, id: string) => Number(((await page.getByTestId(id).textContent()) ?? '').replace(/[^\d]/g, ''));
const chartNow = async (page: Page) => {
  const label = (await page.locator('vigil-line-chart svg').getAttribute('aria-label')) ?? '';
  return Number(/: (\d+) now/.exec(label)?.[1] ?? NaN);
};

describe('the wall display', () => {
  it('shows live counters and a chart that move when sessions start and end, pushed over the stats subscription', async () => {
    const created = await app.api('POST', '/display-keys', { token: app.adminToken, body: { name: 'test wall' } });
    expect(created.status).toBe(201);
    const key = created.body.displayKey?.key ?? created.body.key;
    expect(key).toMatch(/^vk_/);

    const page = await newPage(browser, 1920, 1080);
    // the counters are pushed: the wall never asks GET /stats
    const polled: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/stats')) polled.push(r.url());
    });
    await page.goto(`${app.url}/wall#key=${key}`);
    await page.locator('vigil-wall vigil-connection-badge[state="live"]').waitFor();
    await expect.poll(() => counter(page, 'active'), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => chartNow(page), { timeout: 10_000 }).toBe(1);
    expect(app.app.hub.statsFeeds.subscriberCount('default')).toBe(1);

    const users = await Promise.all(['w1', 'w2', 'w3'].map((u) => app.createUser(u)));
    const sessions = await Promise.all(users.map((u) => app.login(u.username, u.password)));
    await expect.poll(() => counter(page, 'active'), { timeout: 10_000 }).toBe(4);
    await expect.poll(() => chartNow(page), { timeout: 10_000 }).toBe(4);
    await expect.poll(() => counter(page, 'logins'), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await page.getByText('signed in').first().waitFor();

    await app.api('POST', '/logout', { token: sessions[0].token });
    await app.api('DELETE', `/sessions/${sessions[1].session.id}`, { token: app.adminToken });
    await expect.poll(() => counter(page, 'active'), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => chartNow(page), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => counter(page, 'terminated'), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(await counter(page, 'kind-console')).toBe(2);
    expect(polled).toEqual([]);
    await screenshot(page, '14-wall-1080p');
    await page.setViewportSize({ width: 3840, height: 2160 });
    await screenshot(page, '15-wall-4k');
    await page.context().close();
  });

  it('says so when the key is not valid', async () => {
    const page = await newPage(browser, 1920, 1080);
    await page.goto(`${app.url}/wall#key=vk_not-a-real-key`);
    await page.getByText('This display is not connected').waitFor({ timeout: 15_000 });
    await screenshot(page, '16-wall-bad-key');
    await page.context().close();
  });

  it('reconnects by itself after the server drops it, catches up on what it missed, and stops when its key is revoked', async () => {
    const created = await app.api('POST', '/display-keys', { token: app.adminToken, body: { name: 'resume wall' } });
    const { id, key } = created.body.displayKey;
    const page = await newPage(browser, 1920, 1080);
    await page.goto(`${app.url}/wall#key=${key}`);
    await page.locator('vigil-wall vigil-connection-badge[state="live"]').waitFor();
    // live (hello) comes before the snapshot: wait for the wall to show what the server holds
    const before = (await app.api('GET', '/sessions', { token: app.adminToken })).body.sessions.length as number;
    await expect.poll(() => counter(page, 'active'), { timeout: 10_000 }).toBe(before);
    // drop every Socket.IO connection the way a shutting-down server does, and start a session meanwhile
    // (what the server's preClose hook does on shutdown: disconnect(true) with no close code)
    const hub = app.app.hub as unknown as { feeds: Map<string, { clients: Set<{ transport: string; t?: { socket?: { disconnect(close: boolean): void } } }> }> };
    for (const c of hub.feeds.get('default')?.clients ?? []) if (c.transport === 'socket.io') c.t?.socket?.disconnect(true);
    await page.locator('vigil-wall vigil-connection-badge[state="reconnecting"]').waitFor({ timeout: 10_000 });
    const u = await app.createUser('late');
    await app.login(u.username, u.password);
    await page.locator('vigil-wall vigil-connection-badge[state="live"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => counter(page, 'active'), { timeout: 10_000 }).toBe(before + 1);
    await page.getByText('late', { exact: true }).waitFor();

    expect((await app.api('DELETE', `/display-keys/${id}`, { token: app.adminToken })).status).toBe(204);
    await page.getByText('This display is not connected').waitFor({ timeout: 15_000 });
    await page.context().close();
  });
});
