/**
 * The Connections page (admin): a connected client's row shows up on its own (the page reads
 * the list again every few seconds), Disconnect closes it with 4403, and the row goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { WsClient } from '../helpers/clients.js';
import { CLOSE } from '../../shared/protocol.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  [app, browser] = await Promise.all([startTestApp(), launch()]);
  await app.createUser('alice');
});
afterAll(async () => Promise.all([browser?.close(), app?.close()]));

describe('Connections', () => {
  it('shows a client that connects while the page is open, and Disconnect closes it with 4403 and removes its row', async () => {
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await page.getByRole('link', { name: 'Connections' }).click();
    const rows = page.locator('vigil-connections tr[data-connection]');
    await rows.first().waitFor(); // the admin's own dashboard connection
    const alice = page.locator('vigil-connections tr[data-connection]', { hasText: 'e2e-conn-client/1' });
    expect(await alice.count()).toBe(0);

    const { token } = await app.login('alice', 'alice-password');
    const ws = new WsClient(`${app.wsUrl}/ws`, { token, headers: { 'user-agent': 'e2e-conn-client/1' } });
    await ws.waitFor((m) => m.type === 'hello');
    ws.send({ type: 'subscribe', topic: 'self' });
    // no reload: the page picks it up by itself
    await alice.filter({ hasText: 'self' }).waitFor({ timeout: 15_000 });
    expect(await alice.locator('td').allInnerTexts()).toEqual(expect.arrayContaining(['WebSocket', 'user', 'alice', 'e2e-conn-client/1', 'self']));
    await screenshot(page, '30-connections');

    await alice.getByRole('button', { name: /^Disconnect alice/ }).click();
    const dialog = page.locator('vigil-connections vigil-confirm-dialog[open]');
    const confirm = dialog.getByRole('button', { name: 'Disconnect', exact: true });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('checkbox', { name: 'Confirm' }).check();
    await confirm.click();

    expect((await ws.closed).code).toBe(CLOSE.FORBIDDEN);
    await alice.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.locator('vigil-connections vigil-confirm-dialog[open]').count()).toBe(0);
    // the admin's own connection is still listed
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    const listed = (await app.api('GET', '/connections', { token: app.adminToken })).body.connections as Array<{ userAgent: string | null }>;
    expect(listed.some((c) => c.userAgent === 'e2e-conn-client/1')).toBe(false);
  });
});
