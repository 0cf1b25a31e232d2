/** Opening and posting the e-mailed links' pages as a browser without JavaScript would. */
import type { TestApp } from './app.js';

export interface Page {
  status: number;
  html: string;
  location: string | null;
}

/** GET of a link (absolute, as in the e-mail). */
export async function openLink(link: string): Promise<Page> {
  const r = await fetch(link, { redirect: 'manual' });
  return { status: r.status, html: await r.text(), location: r.headers.get('location') };
}

/** The form's POST: the key from the link plus the fields. */
export async function postLink(link: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Page> {
  const u = new URL(link);
  const key = u.searchParams.get('key') ?? '';
  u.search = '';
  const r = await fetch(u, { method: 'POST', body: new URLSearchParams({ key, ...fields }), headers, redirect: 'manual' });
  return { status: r.status, html: await r.text(), location: r.headers.get('location') };
}

/** Sets a new password through a link's form. */
export const setPasswordVia = (link: string, password: string) => postLink(link, { 'password-new': password, 'password-confirm': password });

/** The reason a refused link's page gives (data-reason), or null when it was not refused. */
export const refusal = (p: Page): string | null => /data-reason="([a-z]+)"/.exec(p.html)?.[1] ?? null;

/** The claims of a link's token (they are signed, not secret): `exp` in ms. */
export function claimsOf(link: string): { exp: number; iat: number; op: string; act: string[] } {
  const key = new URL(link).searchParams.get('key')!;
  return JSON.parse(Buffer.from(key.split('.')[0]!, 'base64url').toString('utf8'));
}

/** Makes a user with an e-mail address as the admin. */
export async function userWithEmail(t: TestApp, username: string, email: string | null, extra: Record<string, unknown> = {}): Promise<{ username: string; password: string }> {
  const password = `${username}-password`;
  const r = await t.api('POST', '/users', { token: t.adminToken, body: { username, password, ...(email ? { email } : {}), ...extra } });
  if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return { username, password };
}
