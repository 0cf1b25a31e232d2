/** The text and HTML of each action e-mail: one link, what it does, and when it stops working. */
import type { ActionTokenOperation } from '../../shared/policy.js';
import type { TokenAction } from './action-tokens.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A lifespan in words: 300 → "5 minutes", 43200 → "12 hours", 90 → "1 minute 30 seconds". */
export function inWords(seconds: number): string {
  const parts: string[] = [];
  const units: Array<[number, string]> = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  let left = seconds;
  for (const [n, name] of units) {
    const q = Math.floor(left / n);
    if (q) parts.push(`${q} ${name}${q === 1 ? '' : 's'}`);
    left -= q * n;
    if (parts.length === 2) break;
  }
  return parts.join(' ') || '0 seconds';
}

const WHAT: Record<TokenAction, string> = { UPDATE_PASSWORD: 'set a new password', VERIFY_EMAIL: 'confirm your e-mail address', LINK_IDP: 'link your account' };

export interface ActionMail {
  subject: string;
  text: string;
  html: string;
}

export function actionMail(o: { realm: string; username: string; operation: ActionTokenOperation; actions: TokenAction[]; link: string; lifespan: number; expiresAt: number; idpName?: string }): ActionMail {
  const subject = o.operation === 'idp-verify-account-via-email' ? `Link your ${o.idpName ?? 'other'} account`
    : o.operation === 'reset-credentials' ? 'Reset your password'
    : o.operation === 'verify-email' ? 'Verify your e-mail address'
      : o.actions.length === 1 && o.actions[0] === 'VERIFY_EMAIL' ? 'Verify your e-mail address' : 'Update your account';
  const why = o.operation === 'idp-verify-account-via-email'
    ? `Someone signed in through ${o.idpName ?? 'an identity provider'} with this e-mail address, which is that of your account. If it was you, open this link to link the two, so that you can sign in through ${o.idpName ?? 'it'}; if not, ignore this message and nothing changes.`
    : o.operation === 'reset-credentials'
    ? 'Someone asked to reset the password of your account. If it was you, open this link to set a new one; if not, ignore this message and nothing changes.'
    : o.operation === 'verify-email' ? 'Please confirm that this is your e-mail address by opening this link.'
      : `Your administrator asks you to ${o.actions.map((a) => WHAT[a]).join(' and ')}. Open this link to do so.`;
  const until = `The link works once, for ${inWords(o.lifespan)} (until ${new Date(o.expiresAt).toISOString().replace('T', ' ').slice(0, 19)} UTC).`;
  const text = `Hello ${o.username},\n\n${why}\n\n${o.link}\n\n${until}\n\n— Vigil, realm ${o.realm}\n`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#17202c">
<p>Hello ${esc(o.username)},</p>
<p>${esc(why)}</p>
<p><a href="${esc(o.link)}" style="display:inline-block;padding:10px 16px;background:#2563eb;color:#fff;border-radius:5px;text-decoration:none">${esc(subject)}</a></p>
<p style="color:#5b6776">${esc(until)}<br>Or paste this address into your browser: ${esc(o.link)}</p>
<p style="color:#5b6776">— Vigil, realm ${esc(o.realm)}</p>
</body></html>`;
  return { subject, text, html };
}
