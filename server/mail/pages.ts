/**
 * The action-token pages (the link of an e-mail) and the forgot-password form: server-rendered,
 * no script, the OIDC login pages' card and style (oidc/pages.ts).
 */
import { alert, esc, layout } from '../oidc/pages.js';
import type { Rejection } from './action-tokens.js';
import type { StoredUser } from '../users/store.js';
import type { ActionTokenClaims } from './action-tokens.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/accounts.js';

export function actionPage(o: { realm: string; action: string; token: string; claims: ActionTokenClaims; user: StoredUser; error?: string }): string {
  const password = o.claims.act.includes('UPDATE_PASSWORD');
  const verify = o.claims.act.includes('VERIFY_EMAIL');
  const link = o.claims.act.includes('LINK_IDP') ? o.claims.idp : undefined;
  const title = link ? `Link your ${link.name} account` : o.claims.op === 'reset-credentials' ? 'Set a new password' : password ? 'Update your account' : 'Confirm your e-mail address';
  const described = o.error ? ' aria-describedby="form-error"' : '';
  const steps: string[] = [];
  if (password) {
    steps.push(`<label for="password-new">New password</label>
<input type="password" id="password-new" name="password-new" autocomplete="new-password" required minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}"${described} autofocus>
<label for="password-confirm">Confirm password</label>
<input type="password" id="password-confirm" name="password-confirm" autocomplete="new-password" required minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}"${described}>`);
  }
  if (verify) steps.push(`<p class="note">Confirm that <strong>${esc(o.claims.email)}</strong> is your e-mail address.</p>`);
  if (link) steps.push(`<p class="note">Signing in through <strong>${esc(link.name)}</strong> will sign you in to this account.</p>`);
  const button = link ? 'Link accounts' : password && verify ? 'Save password and confirm e-mail' : password ? 'Set password' : 'Confirm e-mail address';
  return layout(title, o.realm, `<h1>${esc(title)}</h1>
<p class="sub">for <strong>${esc(o.user.username)}</strong>${password ? ` — ${PASSWORD_MIN} to ${PASSWORD_MAX} characters` : ''}</p>
${alert(o.error)}
<form method="post" action="${esc(o.action)}" novalidate>
<input type="hidden" name="key" value="${esc(o.token)}">
${steps.join('\n')}
<button type="submit">${esc(button)}</button>
</form>`);
}

const WHY: Record<string, string> = {
  expired: 'This link has expired.',
  used: 'This link has already been used.',
  tampered: 'This link is not valid: it may have been changed or cut short. Copy the whole address from the e-mail.',
  superseded: 'This link was replaced by a newer one: use the link in the most recent e-mail.',
  account: 'This link no longer matches the account (it was disabled, removed, or its e-mail address changed).',
};

/** The page of a refused link: which refusal, and how to get a new link. Nothing was changed. */
export function rejectedPage(realm: string, r: Rejection, resetUrl: string): string {
  const which = r.reason === 'invalid' ? r.detail : r.reason;
  const heading = which === 'expired' ? 'Link expired' : which === 'used' ? 'Link already used' : which === 'superseded' ? 'Link replaced' : 'Link not valid';
  const admin = r.claims && r.claims.op !== 'reset-credentials';
  return layout(heading, realm, `<h1>${esc(heading)}</h1>
<p class="alert" role="alert" data-reason="${esc(which)}">${esc(WHY[which] ?? WHY.tampered!)} Nothing was changed.</p>
<p>${admin ? 'Ask your administrator to send a new link, or ' : ''}<a href="${esc(resetUrl)}">${admin ? 'request a new password link' : 'Request a new link'}</a>.</p>`);
}

export function donePage(realm: string, claims: ActionTokenClaims, signInUrl: string): string {
  const did: string[] = [];
  if (claims.act.includes('UPDATE_PASSWORD')) did.push('Your password has been changed, and you were signed out everywhere.');
  if (claims.act.includes('VERIFY_EMAIL')) did.push(`Your e-mail address ${claims.email} is confirmed.`);
  if (claims.act.includes('LINK_IDP') && claims.idp) did.push(`Your ${claims.idp.name} account is linked: sign in through ${claims.idp.name} again.`);
  return layout('Done', realm, `<h1>Done</h1>
${did.map((d) => `<p class="note" role="status">${esc(d)}</p>`).join('\n')}
<p><a href="${esc(signInUrl)}">Sign in</a></p>`);
}

/** The sentence the forgot-password form always answers, whatever was typed. */
export const RESET_SENT = 'If an account with that username or e-mail address exists, a link to set a new password is on its way. Check your e-mail.';

export function forgotPage(o: { realm: string; action: string; error?: string; sent?: boolean }): string {
  if (o.sent) {
    return layout('Check your e-mail', o.realm, `<h1>Check your e-mail</h1>
<p class="note" role="status">${esc(RESET_SENT)}</p>
<p><a href="${esc(o.action)}">Send another link</a></p>`);
  }
  const described = o.error ? ' aria-describedby="form-error"' : '';
  return layout('Forgot password', o.realm, `<h1>Forgot your password?</h1>
<p class="sub">Give your username or e-mail address, and we will e-mail you a link to set a new password.</p>
${alert(o.error)}
<form method="post" action="${esc(o.action)}" novalidate>
<label for="username">Username or e-mail</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="254"${described} autofocus>
<button type="submit">Send me a link</button>
</form>`);
}
