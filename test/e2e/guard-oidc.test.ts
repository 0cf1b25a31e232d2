/**
 * The session guard for an app that signs in through Vigil's OpenID Connect provider: the page
 * holds only an access token (from a real password grant), embeds /vigil-guard.js with it, and
 * gets its SSO session's idle warning, Extend and expiry like a console session.
 * Real timers (SSO Session Idle 35 s, prompt 20 s): generous timeouts, no timing assertions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, screenshot } from './browser.js';
import { createClient, decodeJwt, passwordGrant } from '../integration/oidc-support.js';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp({ policy: { expiryPromptSeconds: 20, ssoSessionIdle: 35 } });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('the session guard with an OIDC access token', () => {
  it('warns an SSO session that it is idle, Extend keeps it, and ignoring the prompt lands on the app\'s signed-out page', async () => {
    await app.createUser('gina', { password: 'gina-password-1' });
    await createClient(app, { clientId: 'acme-spa', publicClient: true, directAccessGrantsEnabled: true });
    const tokens = await passwordGrant(app, 'default', 'acme-spa', undefined, { username: 'gina', password: 'gina-password-1' });
    const sid = String(decodeJwt(tokens.access_token).sid);

    const page = await newPage(browser);
    const appPage = `<!doctype html><html lang="en"><head><title>Acme SPA</title></head><body style="font-family:sans-serif;padding:40px">
      <h1>Acme SPA</h1><p>Signed in through Vigil's OpenID Connect provider; the guard gets the access token.</p>
      <script type="module" src="/vigil-guard.js"></script>
      <vigil-session-guard realm="default" token="${tokens.access_token}" sign-in-url="/acme-signed-out"></vigil-session-guard></body></html>`;
    await page.route('**/acme', (route) => route.fulfill({ contentType: 'text/html', body: appPage }));
    await page.route('**/acme-signed-out*', (route) => route.fulfill({ contentType: 'text/html', body: '<h1>Signed out of Acme</h1>' }));
    await page.goto(`${app.url}/acme`);
    await expect
      .poll(() => page.evaluate(() => {
        const s = (document.querySelector('vigil-session-guard') as any)?._session;
        return s ? `${s.id} ${s.kind}` : null;
      }), { timeout: 15_000 })
      .toBe(`${sid} sso`);

    const guard = page.locator('vigil-session-guard');
    const prompt = page.getByRole('dialog', { name: 'Logout' });
    await prompt.waitFor({ timeout: 60_000 });
    await expect.poll(() => guard.locator('.lede').textContent()).toContain('about to end because it has been idle');
    expect(await guard.getByTestId('lifetime').textContent()).toBe('35 seconds');
    expect(await guard.getByRole('button', { name: 'Configure' }).count()).toBe(0); // Token Lifetime is for console sessions
    await screenshot(page, '25-guard-oidc-prompt');

    await guard.getByRole('button', { name: 'Extend Session' }).click();
    await prompt.waitFor({ state: 'hidden', timeout: 10_000 });
    expect((await app.api('GET', `/sessions/${sid}`, { token: app.adminToken })).body.session.state).toBe('active');

    await prompt.waitFor({ timeout: 60_000 });
    await page.waitForURL(/acme-signed-out\?ended=expired$/, { timeout: 60_000 });
    expect((await app.api('GET', `/sessions/${sid}`, { token: app.adminToken })).status).toBe(404);
    await page.context().close();
  }, 150_000);
});
