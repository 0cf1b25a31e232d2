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
  it('warns with the lifetime and the termination time; Extend keeps the session; Configure opens Token Settings; ignoring it signs out', async () => {
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
    // Configure extends (the user is present) and opens Token Settings
    await prompt(page).waitFor({ timeout: 60_000 });
    await guard(page).getByRole('button', { name: 'Configure' }).click();
    await page.getByRole('heading', { name: 'Token Settings' }).waitFor({ timeout: 10_000 });
    await prompt(page).waitFor({ state: 'hidden', timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe('/settings');
    // now ignore the next prompt: the server ends the session and the page goes to sign-in
    await prompt(page).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('end-notice').textContent()).toContain('expired');
    expect(new URL(page.url()).searchParams.get('ended')).toBe('expired');
    await screenshot(page, '13-sign-in-after-expiry');
    await page.context().close();
  }, 240_000);

  it('Extend in one tab closes the prompt in every tab (and an admin watching sees the row turn and come back)', async () => {
    await app.createUser('erin', { password: 'erin-password-1', tokenLifetime: 30 });
    const admin = await newPage(browser);
    await signIn(admin, app.url, app.adminUsername, app.adminPassword);
    const first = await newPage(browser);
    await signIn(first, app.url, 'erin', 'erin-password-1');
    const erinRow = admin.locator('vigil-access .row[data-user="erin"]');
    await erinRow.waitFor({ timeout: 10_000 });
    expect(await erinRow.getAttribute('class')).not.toContain('warning');
    const second = await first.context().newPage();
    await second.goto(`${app.url}/access`);
    await second.locator('vigil-access').waitFor();
    await Promise.all([prompt(first).waitFor({ timeout: 60_000 }), prompt(second).waitFor({ timeout: 60_000 })]);
    await admin.locator('vigil-access .row.warning[data-user="erin"]').waitFor({ timeout: 10_000 });
    await screenshot(admin, '24-access-row-in-warning');
    await guard(first).getByRole('button', { name: 'Extend Session' }).click();
    await Promise.all([
      prompt(first).waitFor({ state: 'hidden', timeout: 10_000 }),
      prompt(second).waitFor({ state: 'hidden', timeout: 10_000 }),
    ]);
    expect(await second.evaluate(async () => (await fetch('/api/v1/realms/default/me')).status)).toBe(200);
    await expect.poll(() => erinRow.getAttribute('class'), { timeout: 10_000 }).not.toContain('warning');
    await first.context().close();
    await admin.context().close();
  }, 120_000);

  it('shows a lost connection in the prompt, extends over HTTP meanwhile, and is live again after it reconnects', async () => {
    await app.createUser('ella', { password: 'ella-password-1', tokenLifetime: 30 });
    const page = await newPage(browser);
    await signIn(page, app.url, 'ella', 'ella-password-1');
    const me = await page.evaluate(async () => (await (await fetch('/api/v1/realms/default/me')).json()).session.id as string);
    await prompt(page).waitFor({ timeout: 60_000 });
    // the network path to the real-time server breaks: no WebSocket, no long-polling, and the
    // server side of the connection is gone (as when a proxy drops it)
    let blocked = true;
    await page.routeWebSocket(/\/socket\.io\//, (ws) => (blocked ? ws.close() : ws.connectToServer()));
    await page.route('**/socket.io/**', (route) => (blocked ? route.abort() : route.continue()));
    const hub = app.app.hub as unknown as { feeds: Map<string, { clients: Set<{ transport: string; principal?: { sessionId?: string }; t?: { socket?: { disconnect(close: boolean): void } } }> }> };
    for (const c of hub.feeds.get('default')?.clients ?? []) if (c.principal?.sessionId === me) c.t?.socket?.disconnect(true);
    await guard(page).getByRole('alert').filter({ hasText: 'The connection to the server is lost' }).waitFor({ timeout: 15_000 });
    await screenshot(page, '26-logout-prompt-offline');
    await guard(page).getByRole('button', { name: 'Extend Session' }).click();
    await prompt(page).waitFor({ state: 'hidden', timeout: 10_000 });
    const extended = await app.api('GET', `/sessions/${me}`, { token: app.adminToken });
    expect(extended.body.session.state).toBe('active');
    // the path comes back: the guard reconnects by itself and gets the next warning
    blocked = false;
    await prompt(page).waitFor({ timeout: 90_000 });
    expect(await guard(page).getByRole('alert').filter({ hasText: 'The connection to the server is lost' }).count()).toBe(0);
    await guard(page).getByRole('button', { name: 'Extend Session' }).click();
    await prompt(page).waitFor({ state: 'hidden', timeout: 10_000 });
    await page.context().close();
  }, 240_000);

  it('works from /vigil-guard.js on another app page: throttled activity, the prompt, Extend and Log out', async () => {
    await app.createUser('fred', { password: 'fred-password-1', tokenLifetime: 30 });
    const { token, session } = await app.login('fred', 'fred-password-1');
    const page = await newPage(browser);
    const appPage = `<!doctype html><html lang="en"><head><title>Acme</title></head><body style="font-family:sans-serif;padding:40px">
      <h1>Acme inventory</h1><p>An app that keeps its own sign-in and embeds the Vigil guard.</p><button id="work">Do some work</button>
      <script type="module" src="/vigil-guard.js"></script>
      <vigil-session-guard realm="default" token="${token}" sign-in-url="/acme-signed-out"></vigil-session-guard></body></html>`;
    await page.route('**/acme', (route) => route.fulfill({ contentType: 'text/html', body: appPage }));
    await page.route('**/acme-signed-out*', (route) => route.fulfill({ contentType: 'text/html', body: '<h1>Signed out of Acme</h1>' }));
    // count the activity messages the guard sends, whatever the Socket.IO transport
    let activity = 0;
    page.on('websocket', (ws) => ws.on('framesent', (f) => { if (String(f.payload).includes('"activity"')) activity++; }));
    page.on('request', (r) => { if (r.method() === 'POST' && (r.postData() ?? '').includes('"activity"')) activity++; });
    await page.goto(`${app.url}/acme`);
    await page.waitForFunction(() => customElements.get('vigil-session-guard') !== undefined);
    await expect.poll(() => page.evaluate(() => (document.querySelector('vigil-session-guard') as any)?._session?.id ?? null), { timeout: 15_000 }).toBe(session.id);
    for (let i = 0; i < 10; i++) await page.click('#work');
    await expect.poll(() => activity, { timeout: 10_000 }).toBe(1);
    await page.waitForTimeout(1500);
    expect(activity).toBe(1); // ten clicks inside the throttle window: one report
    const after = await app.api('GET', `/sessions/${session.id}`, { token: app.adminToken });
    expect(Date.parse(after.body.session.lastActivityAt)).toBeGreaterThan(Date.parse(session.lastActivityAt));

    await prompt(page).waitFor({ timeout: 60_000 });
    expect(await guard(page).getByTestId('lifetime').textContent()).toBe('30 seconds');
    await screenshot(page, '21-guard-on-an-app-page');
    await guard(page).getByRole('button', { name: 'Extend Session' }).click();
    await prompt(page).waitFor({ state: 'hidden', timeout: 10_000 });
    await prompt(page).waitFor({ timeout: 60_000 });
    await guard(page).getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/acme-signed-out\?ended=logout/, { timeout: 15_000 });
    expect((await app.api('GET', '/me', { token })).status).toBe(401);
    await page.context().close();
  }, 150_000);
});
