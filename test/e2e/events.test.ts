/**
 * The Events page: an admin sees the realm's recorded events in a paged table, narrows them
 * with the filters (name with a trailing *, user), and downloads the filtered selection as
 * NDJSON and as CSV through the export buttons — the same events the table pages through.
 * A viewer gets the page too, without the events about credentials.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp();
  browser = await launch();
  await app.createUser('ivy');
  await app.createUser('walt', { roles: ['viewer'] });
  for (let i = 0; i < 3; i++) await app.login('ivy', 'ivy-password');
  // a wrong password: login.failed, for admins only
  await app.api('POST', '/login', { body: { username: 'ivy', password: 'not-her-password' } });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const events = (page: Page) => page.locator('vigil-events');
const rows = (page: Page) => events(page).locator('tbody tr');

async function openEvents(page: Page): Promise<void> {
  await page.locator('vigil-app nav').getByRole('link', { name: 'Events' }).click();
  await events(page).getByRole('heading', { name: 'Events', level: 1 }).waitFor();
  await rows(page).first().waitFor({ timeout: 10_000 });
}

async function filter(page: Page, values: { name?: string; user?: string }): Promise<void> {
  const form = events(page).getByRole('form', { name: 'Event filters' });
  if (values.name !== undefined) await form.getByLabel('Event').fill(values.name);
  if (values.user !== undefined) await form.getByLabel('User').fill(values.user);
  await form.getByRole('button', { name: 'Apply' }).click();
}

async function download(page: Page, testId: string): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), events(page).getByTestId(testId).click()]);
  const where = await file.path();
  return { name: file.suggestedFilename(), text: readFileSync(where!, 'utf8') };
}

describe('the Events page', () => {
  it('shows the recorded events, filters them, and exports the selection as NDJSON and CSV', async () => {
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await openEvents(page);
    expect(await rows(page).count()).toBeGreaterThan(5);
    await filter(page, { name: 'login.*', user: 'ivy' });
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(4);
    const names = await rows(page).locator('td.name').allTextContents();
    expect(names.sort()).toEqual(['login.failed', 'login.succeeded', 'login.succeeded', 'login.succeeded']);
    await screenshot(page, '42-events-page');

    const ndjson = await download(page, 'export-ndjson');
    expect(ndjson.name).toMatch(/\.ndjson$/);
    const lines = ndjson.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; name: string; session: { user: { username: string } } | null });
    expect(lines.map((e) => e.name).sort()).toEqual(names.sort());
    const shown = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event')));
    expect(lines.map((e) => e.id)).toEqual(shown);

    const csv = await download(page, 'export-csv');
    expect(csv.name).toMatch(/\.csv$/);
    const csvLines = csv.text.trimEnd().split('\r\n');
    expect(csvLines[0]).toBe('id,at,realm,name,sessionId,user,kind,clientId,data');
    expect(csvLines.slice(1).map((l) => l.split(',')[0])).toEqual(shown);
    await page.context().close();
  }, 120_000);

  it('pages through a long selection', async () => {
    for (let i = 0; i < 60; i++) await app.app.engine.emit('default', 'policy.updated', { fields: [`f${i}`] });
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await openEvents(page);
    await filter(page, { name: 'policy.updated' });
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(50);
    const first = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event')));
    await events(page).getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(10);
    const second = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event')));
    expect(second.some((id) => first.includes(id))).toBe(false);
    await events(page).getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => rows(page).first().getAttribute('data-event'), { timeout: 10_000 }).toBe(first[0]);
    await page.context().close();
  }, 120_000);

  it('is there for viewers, without the events about credentials', async () => {
    const page = await newPage(browser);
    await signIn(page, app.url, 'walt', 'walt-password');
    await openEvents(page);
    await filter(page, { name: 'login.*', user: 'ivy' });
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(3);
    expect(await rows(page).locator('td.name').allTextContents()).toEqual(['login.succeeded', 'login.succeeded', 'login.succeeded']);
    await page.context().close();
  }, 120_000);
});
