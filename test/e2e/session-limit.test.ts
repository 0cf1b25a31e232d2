/**
 * The session limit seen from the evicted browser: with maxSessionsPerUser 1 and
 * terminate-oldest, a second sign-in of the same user ends the first session, and that
 * browser's page goes at once to the sign-in page saying it was signed out because of the
 * session limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp({ policy: { maxSessionsPerUser: 1, sessionLimitBehavior: 'terminate-oldest' } });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('the evicted browser', () => {
  it('is signed out at once, and its sign-in page names the session limit', async () => {
    await app.createUser('lena', { password: 'lena-password-1' });
    const first = await newPage(browser);
    await signIn(first, app.url, 'lena', 'lena-password-1');
    // the same user signs in elsewhere (another browser)
    const second = await newPage(browser);
    await signIn(second, app.url, 'lena', 'lena-password-1');
    await first.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 10_000 });
    expect(new URL(first.url()).searchParams.get('ended')).toBe('session-limit');
    expect(await first.getByTestId('end-notice').textContent()).toMatch(/signed out because of the session limit/);
    await screenshot(first, '41-signed-out-session-limit');
    // the newer browser stays signed in
    expect(await second.evaluate(async () => (await fetch('/api/v1/realms/default/me')).status)).toBe(200);
    expect(await first.evaluate(async () => (await fetch('/api/v1/realms/default/me')).status)).toBe(401);
    await first.context().close();
    await second.context().close();
  }, 120_000);
});
