/**
 * `<vigil-session-guard>.hold(promise)` against real server-side timers (token lifetime 30 s,
 * prompt 5 s: a console session idles out 35 s after its last activity): while a held promise
 * is pending, nobody touches the page and the session still lives well past its lifetime;
 * once it settles, the session lapses as usual and the page lands on sign-in. Real waiting,
 * no timing assertions beyond "still signed in after longer than the lifetime".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { sleep } from '../helpers/clients.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp({ policy: { expiryPromptSeconds: 5 } });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const prompt = (page: Page) => page.getByRole('dialog', { name: 'Logout' });
const meStatus = (page: Page) => page.evaluate(async () => (await fetch('/api/v1/realms/default/me')).status);

describe('the guard\'s activity hold', () => {
  it('keeps the session alive while a held promise is pending, past its lifetime, and lets it lapse once it settles', async () => {
    await app.createUser('uma', { password: 'uma-password-1', tokenLifetime: 30 });
    const page = await newPage(browser);
    await signIn(page, app.url, 'uma', 'uma-password-1');
    // a long "upload": a promise the test settles by hand
    await page.evaluate(() => {
      const guard = document.querySelector('vigil-app')!.shadowRoot!.querySelector('vigil-session-guard') as unknown as { hold(p: Promise<unknown>): Promise<unknown>; holding: boolean };
      const w = window as unknown as { finishUpload: () => void };
      void guard.hold(new Promise<void>((resolve) => (w.finishUpload = resolve)));
    });
    const heldSince = Date.now();
    // 50 s without a touch: longer than the 35 s the session lives without activity
    while (Date.now() - heldSince < 50_000) {
      expect(await prompt(page).isVisible()).toBe(false);
      await sleep(2_000);
    }
    expect(await meStatus(page)).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/access');
    const guardHolding = await page.evaluate(() => (document.querySelector('vigil-app')!.shadowRoot!.querySelector('vigil-session-guard') as unknown as { holding: boolean }).holding);
    expect(guardHolding).toBe(true);
    // the upload finishes: normal idle resumes, the prompt comes and the session ends
    await page.evaluate(() => (window as unknown as { finishUpload: () => void }).finishUpload());
    await prompt(page).waitFor({ timeout: 60_000 });
    await screenshot(page, '40-prompt-after-hold');
    await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get('ended')).toBe('expired');
    expect(await meStatus(page)).toBe(401);
    await page.context().close();
  }, 240_000);
});
