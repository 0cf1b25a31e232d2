/**
 * The Webhooks page (admin): add a webhook with its events, see the signing secret once, a
 * real receiver on loopback gets a signed event, the delivery log shows the attempts (a failed
 * one with its status and error), Redeliver sends an event again, Disable and Enable work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver, until } from '../helpers/receiver.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;
let rec: Receiver;

beforeAll(async () => {
  assertBuilt();
  [app, browser, rec] = await Promise.all([startTestApp({ env: { VIGIL_WEBHOOK_ALLOW_PRIVATE: '1' } }), launch(), new Receiver().start()]);
  app.app.outbound.options.firstRetryMs = 200;
});
afterAll(async () => Promise.all([browser?.close(), app?.close(), rec?.stop()]));

describe('Webhooks page', () => {
  it('adds a webhook, shows its secret once, logs the attempts, redelivers, disables and enables', async () => {
    rec.respond = (n) => (n === 0 ? 503 : 204);
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.locator('vigil-webhooks').getByText('No webhooks').waitFor();

    await page.getByRole('button', { name: 'Add webhook' }).first().click();
    const form = page.locator('vigil-webhooks vigil-dialog[open]');
    await form.locator('input[name="url"]').fill(rec.url);
    await form.locator('input[name="events"]').fill('policy.updated');
    await form.locator('input[name="description"]').fill('e2e receiver');
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const secret = await page.locator('vigil-webhooks [data-testid="webhook-secret"]').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, '40-webhook-secret');
    await page.locator('vigil-webhooks vigil-dialog[open]').getByRole('button', { name: 'Done' }).click();
    const row = page.locator('vigil-webhooks tr[data-webhook]', { hasText: rec.url });
    await row.waitFor();
    expect(await row.textContent()).toContain('policy.updated');
    // the list never shows the secret again
    expect(await page.locator('vigil-webhooks').innerText()).not.toContain(secret);

    // an event: the first attempt fails (503), the retry gets through, signed with that secret
    await app.api('PATCH', '/policy', { token: app.adminToken, body: { expiryPromptSeconds: 31 } });
    await until(() => rec.received.length === 1, 15_000, 'the delivery');
    const r = rec.received[0]!;
    const event = new Webhook(secret).verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }) as { id: string; name: string };
    expect(event.name).toBe('policy.updated');

    await row.getByRole('button', { name: /^Deliveries/ }).click();
    const log = page.locator('vigil-webhooks [data-testid="deliveries"] tbody tr');
    await log.nth(1).waitFor();
    expect(await log.nth(0).innerText()).toMatch(/204/);
    expect(await log.nth(1).innerText()).toMatch(/503[\s\S]*the receiver answered 503/);
    await screenshot(page, '41-webhook-deliveries');
    await log.nth(0).getByRole('button', { name: /^Redeliver/ }).click();
    await until(() => rec.received.length === 2, 10_000, 'the redelivery');
    expect(rec.received[1]!.headers['webhook-id']).toBe(`default:${event.id}`);
    await page.locator('vigil-webhooks vigil-dialog[open] button[slot="footer"]', { hasText: 'Close' }).click();

    await row.getByRole('button', { name: /^Disable/ }).click();
    await row.getByText('Disabled').waitFor();
    expect((await app.api('GET', '/webhooks', { token: app.adminToken })).body.webhooks[0].enabled).toBe(false);
    await row.getByRole('button', { name: /^Enable/ }).click();
    await row.getByText('Enabled').waitFor();
    expect((await app.api('GET', '/webhooks', { token: app.adminToken })).body.webhooks[0].enabled).toBe(true);
  });
});
