/**
 * The server-rendered login pages: one card, the dashboard's palette and system font stack,
 * labelled inputs, visible focus, errors in role="alert". No script: they work with any
 * browser and any screen reader, and leave nothing for a CSP to allow but the inline style.
 */
import type { FastifyReply } from 'fastify';

/** Headers of every login page: never cached, never framed, no referrer, nothing but the inline style. */
export const pageHeaders = (reply: FastifyReply): FastifyReply =>
  reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
:root{--bg:#f4f6f9;--surface:#fff;--border:#dde3ea;--text:#17202c;--muted:#5b6776;--accent:#2563eb;--accent-hover:#1d4ed8;--danger:#c62828;--danger-soft:#fdecec;--info-soft:#eef2f7;--focus:0 0 0 3px rgba(37,99,235,.35)}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--text);font-family:"Inter","Segoe UI",system-ui,-apple-system,"Helvetica Neue",Arial,sans-serif;font-size:15px}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px}
main{width:100%;max-width:400px;background:var(--surface);border:1px solid var(--border);border-radius:8px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);padding:32px}
.brand{font-size:.8125rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:var(--muted);margin:0 0 4px}
h1{font-size:1.5rem;margin:0 0 8px}
p.sub{color:var(--muted);margin:0 0 24px}
label{display:block;font-weight:600;font-size:.875rem;margin:16px 0 6px}
input[type=text],input[type=password],input[type=email]{width:100%;padding:10px 12px;font:inherit;color:inherit;border:1px solid #c3ccd7;border-radius:5px;background:#fff}
input:focus-visible,button:focus-visible,a:focus-visible{outline:2px solid var(--accent);outline-offset:2px;box-shadow:var(--focus)}
button{margin-top:24px;width:100%;padding:11px 16px;font:inherit;font-weight:600;color:#fff;background:var(--accent);border:0;border-radius:5px;cursor:pointer}
button:hover{background:var(--accent-hover)}
.alert{margin:0 0 8px;padding:10px 12px;border-radius:5px;background:var(--danger-soft);color:var(--danger);border:1px solid #f5c2c2}
.note{margin:0 0 8px;padding:10px 12px;border-radius:5px;background:var(--info-soft)}
a{color:var(--accent)}
p.aside{margin:16px 0 0;text-align:center;font-size:.875rem}
a.provider{display:block;margin-top:8px;padding:10px 16px;text-align:center;font-weight:600;border:1px solid #c3ccd7;border-radius:5px;text-decoration:none;color:var(--text)}
a.provider:hover{background:var(--info-soft)}
`;

/** A whole page: the card with the realm's name over `body` (HTML, already escaped). */
export function layout(title: string, realm: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} · ${esc(realm)} · Vigil</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="brand">Vigil · ${esc(realm)}</p>
${body}
</main>
</body>
</html>`;
}

export function alert(message: string | undefined): string {
  return message ? `<p class="alert" role="alert" id="form-error">${esc(message)}</p>` : '';
}

export interface FormContext {
  realm: string;
  action: string;
  loginId: string;
  csrf: string;
  error?: string;
  username?: string;
  clientName: string;
  /** The forgot-password form of the realm. */
  resetUrl?: string;
  /** The realm's identity providers: a link each that signs in through it. */
  providers?: Array<{ name: string; href: string }>;
}

export function loginPage(c: FormContext): string {
  const described = c.error ? ' aria-describedby="form-error"' : '';
  return layout('Sign in', c.realm, `<h1>Sign in</h1>
<p class="sub">to continue to ${esc(c.clientName)}</p>
${alert(c.error)}
<form method="post" action="${esc(c.action)}" novalidate>
<input type="hidden" name="login" value="${esc(c.loginId)}">
<input type="hidden" name="csrf" value="${esc(c.csrf)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${esc(c.username ?? '')}"${described}${c.username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${described}${c.username ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>
${c.resetUrl ? `<p class="aside"><a href="${esc(c.resetUrl)}">Forgot password?</a></p>` : ''}
${c.providers?.length ? `<p class="aside">Or sign in with</p>\n${c.providers.map((p) => `<a class="provider" href="${esc(p.href)}">${esc(p.name)}</a>`).join('\n')}` : ''}`);
}

export function updatePasswordPage(c: FormContext): string {
  const described = c.error ? ' aria-describedby="form-error"' : '';
  return layout('Update password', c.realm, `<h1>Update password</h1>
<p class="sub">Your administrator requires you to choose a new password before you continue.</p>
${alert(c.error)}
<form method="post" action="${esc(c.action)}" novalidate>
<input type="hidden" name="login" value="${esc(c.loginId)}">
<input type="hidden" name="csrf" value="${esc(c.csrf)}">
<label for="password-new">New password</label>
<input type="password" id="password-new" name="password-new" autocomplete="new-password" required minlength="8"${described} autofocus>
<label for="password-confirm">Confirm password</label>
<input type="password" id="password-confirm" name="password-confirm" autocomplete="new-password" required minlength="8"${described}>
<button type="submit">Update password</button>
</form>`);
}

export function messagePage(realm: string, title: string, message: string, opts: { alert?: boolean; link?: { href: string; text: string } } = {}): string {
  return layout(title, realm, `<h1>${esc(title)}</h1>
<p class="${opts.alert ? 'alert' : 'note'}"${opts.alert ? ' role="alert"' : ''}>${esc(message)}</p>
${opts.link ? `<p><a href="${esc(opts.link.href)}">${esc(opts.link.text)}</a></p>` : ''}`);
}
