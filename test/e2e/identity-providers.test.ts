/**
 * Identity providers as people use them, in Chromium: an admin adds one on the Identity
 * providers page — a second realm of the same server as the upstream, registered there with
 * the redirect URI the page shows — and changes its button; a user then signs in through it
 * from an application's OIDC login page and from the dashboard's own sign-in; a viewer is not
 * offered the page and its API refuses them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertBuilt, launch, newPage, screenshot, signIn } from './browser.js';

let app: TestApp;
let browser: Browser;
let upstreamAdmin = '';
const CALLBACK = 'http://127.0.0.1:9/app-callback';

beforeAll(async () => {
  assertBuilt();
  [app, browser] = await Promise.all([startTestApp(), launch()]);
  // the upstream: realm "upstream" of the same server, with a user who has never been in realm default
  expect((await app.api('POST', '/api/v1/realms', { token: app.adminToken, body: { realm: 'upstream', admin: { username: 'root', password: 'root-password' } } })).status).toBe(201);
  upstreamAdmin = (await app.api('POST', '/api/v1/realms/upstream/login', { body: { username: 'root', password: 'root-password' } })).body.token;
  expect((await app.api('POST', '/api/v1/realms/upstream/users', { token: upstreamAdmin, body: { username: 'ursula', password: 'ursula-upstream', email: 'ursula@up.test', emailVerified: true } })).status).toBe(201);
  // an application of realm default, for the OIDC login page
  expect((await app.api('POST', '/clients', { token: app.adminToken, body: { clientId: 'app', publicClient: true, redirectUris: [CALLBACK] } })).status).toBe(201);
});
afterAll(async () => {
  await Promise.all([browser?.close(), app?.close()]);
});

const page_ = (p: Page) => p.locator('vigil-identity-providers');

/** Signs in at the upstream realm's own login page (the page the broker sent the browser to). */
async function upstreamSignIn(p: Page): Promise<void> {
  await p.waitForURL((u) => u.pathname.startsWith('/realms/upstream/protocol/openid-connect/auth'));
  await p.getByLabel('Username').fill('ursula');
  await p.getByLabel('Password').fill('ursula-upstream');
  await p.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('Identity providers page', () => {
  it('lets an admin add a provider, see it listed, and change its button', async () => {
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await page.getByRole('link', { name: 'Identity providers' }).click();
    const idps = page_(page);
    await idps.getByTestId('idp-empty').waitFor();
    expect(await idps.getByTestId('idp-empty').innerText()).toContain('Another Vigil realm\'s issuer URL works too');
    await screenshot(page, '50-identity-providers-empty');

    await idps.getByRole('button', { name: 'Add provider' }).click();
    await idps.getByRole('textbox', { name: /^Alias/ }).fill('up');
    const redirectUri = await idps.getByTestId('idp-redirect-uri').innerText();
    expect(redirectUri).toBe(`${app.url}/realms/default/broker/up/endpoint`);
    // at the upstream, the admin registers a confidential client with the redirect URI the page shows
    const client = await app.api('POST', '/api/v1/realms/upstream/clients', { token: upstreamAdmin, body: { clientId: 'default-broker', redirectUris: [redirectUri] } });
    expect(client.status).toBe(201);

    await idps.getByLabel('Display name (optional)').fill('Upstream');
    await idps.getByLabel('Issuer URL').fill('not a url');
    await idps.getByLabel('Client ID').fill('default-broker');
    await idps.getByLabel('Client secret').fill(client.body.client.secret);
    await idps.getByRole('button', { name: 'Add provider' }).last().click();
    expect(await idps.getByRole('alert').innerText()).toContain('Issuer URL: an http:// or https:// URL');
    await idps.getByLabel('Issuer URL').fill(`${app.url}/realms/upstream`);
    await screenshot(page, '51-identity-provider-add');
    await idps.getByRole('button', { name: 'Add provider' }).last().click();

    const row = idps.locator('tr[data-idp="up"]');
    await row.waitFor();
    expect(await row.innerText()).toContain(`${app.url}/realms/upstream`);
    const listed = (await app.api('GET', '/identity-providers', { token: app.adminToken })).body.identityProviders;
    expect(listed).toEqual([expect.objectContaining({ alias: 'up', displayName: 'Upstream', issuer: `${app.url}/realms/upstream`, clientId: 'default-broker' })]);

    // the same alias again: the server's conflict, said in words
    await idps.getByRole('button', { name: 'Add provider' }).click();
    await idps.getByRole('textbox', { name: /^Alias/ }).fill('up');
    await idps.getByLabel('Issuer URL').fill('https://idp.example.com');
    await idps.getByLabel('Client ID').fill('x');
    await idps.getByLabel('Client secret').fill('y');
    await idps.getByRole('button', { name: 'Add provider' }).last().click();
    expect(await idps.getByRole('alert').innerText()).toContain('A provider with the alias "up" already exists');
    await idps.getByRole('button', { name: 'Cancel' }).click();

    // the secret is never read back: editing the button leaves it as it is
    await row.getByRole('button', { name: 'Edit up' }).click();
    expect(await idps.getByLabel('New client secret (optional)').inputValue()).toBe('');
    expect(await idps.getByTestId('idp-issuer-warning').count()).toBe(0);
    await idps.getByLabel('Issuer URL').fill('https://elsewhere.example');
    await idps.getByTestId('idp-issuer-warning').waitFor();
    await idps.getByLabel('Issuer URL').fill(`${app.url}/realms/upstream`);
    await idps.getByLabel('Display name (optional)').fill('Upstream realm');
    await idps.getByRole('button', { name: 'Save' }).click();
    await row.getByText('Upstream realm').waitFor();
    await screenshot(page, '52-identity-providers-list');
  });

  it('signs a user in through the provider from an application\'s login page', async () => {
    const page = await newPage(browser);
    await page.goto(`${app.url}/realms/default/protocol/openid-connect/auth?${new URLSearchParams({
      client_id: 'app', response_type: 'code', redirect_uri: CALLBACK, scope: 'openid', state: 'st-1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`);
    await page.getByRole('link', { name: 'Upstream realm' }).click();
    await upstreamSignIn(page);
    const back = await page.waitForRequest((r) => r.url().startsWith(CALLBACK));
    const cb = new URL(back.url());
    expect(cb.searchParams.get('code')).toBeTruthy();
    expect(cb.searchParams.get('state')).toBe('st-1');
    expect((await app.api('GET', '/users/ursula', { token: app.adminToken })).body.user).toMatchObject({ email: 'ursula@up.test', emailVerified: true });
  });

  it('signs a user in to the dashboard through the provider from the dashboard\'s sign-in', async () => {
    const page = await newPage(browser);
    await page.goto(`${app.url}/`);
    await page.getByRole('button', { name: 'Sign in with Upstream realm' }).waitFor();
    await screenshot(page, '53-sign-in-with-provider');
    await page.getByRole('button', { name: 'Sign in with Upstream realm' }).click();
    await upstreamSignIn(page);
    await page.locator('vigil-access').waitFor();
    expect(await page.locator('vigil-app .topbar .user strong').innerText()).toBe('ursula');
    await screenshot(page, '54-signed-in-through-provider');
    const sessions = (await app.api('GET', '/sessions?user=ursula', { token: app.adminToken })).body.sessions as Array<{ kind: string }>;
    expect(sessions.map((s) => s.kind).sort()).toEqual(['console', 'sso']);
  });

  it('shows the link a sign-in through the provider made on the Users page, and unlinks it', async () => {
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('vigil-users tr[data-user="ursula"]').getByRole('button', { name: 'Edit ursula' }).click();
    const links = page.locator('vigil-users').getByTestId('identity-links');
    await links.getByRole('button', { name: 'Unlink up' }).waitFor();
    await screenshot(page, '55-user-identity-links');
    await links.getByRole('button', { name: 'Unlink up' }).click();
    await links.getByText('None: signing in through an identity provider does not sign in as ursula.').waitFor();
    expect((await app.api('GET', '/users/ursula/identity-links', { token: app.adminToken })).body.identityLinks).toEqual([]);
  });

  it('is not offered to a viewer, whose calls to its API are refused', async () => {
    const viewer = await app.createUser('vicky', { roles: ['viewer'] });
    const page = await newPage(browser);
    await signIn(page, app.url, viewer.username, viewer.password);
    expect(await page.getByRole('link', { name: 'Identity providers' }).count()).toBe(0);
    await page.goto(`${app.url}/identity-providers`);
    await page.getByText('Not available for your role').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/realms/default/identity-providers')).status);
    expect(status).toBe(403);
  });

  it('removes a provider after a confirmation, and its button leaves the sign-in', async () => {
    const page = await newPage(browser);
    await signIn(page, app.url, app.adminUsername, app.adminPassword);
    await page.goto(`${app.url}/identity-providers`);
    const idps = page_(page);
    await idps.getByRole('button', { name: 'Remove up' }).click();
    const confirm = idps.locator('vigil-confirm-dialog[open]');
    const remove = confirm.getByRole('button', { name: 'Remove', exact: true });
    expect(await remove.isDisabled()).toBe(true);
    await confirm.getByRole('checkbox', { name: 'Confirm' }).check();
    await remove.click();
    await idps.getByTestId('idp-empty').waitFor();
    expect((await app.api('GET', '/identity-providers', { token: app.adminToken })).body.identityProviders).toEqual([]);

    const signedOut = await newPage(browser);
    await signedOut.goto(`${app.url}/`);
    await signedOut.getByLabel('Username').waitFor();
    expect(await signedOut.getByRole('button', { name: /^Sign in with/ }).count()).toBe(0);
  });
});
