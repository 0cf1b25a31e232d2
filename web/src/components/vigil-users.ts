/**
 * Users, for admins: create (username, password, e-mail, roles, token lifetime), edit them,
 * disable or enable, delete, and send an actions e-mail (set a new password, verify the
 * address) whose link lives the realm's admin-initiated lifespan or one given for the send.
 * Disabling or deleting ends the user's sessions (the server does it; the Access view shows
 * them leave). Editing shows the user's identity provider links, each of which can be removed.
 */
import { css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { humanizeSeconds } from '../../../shared/duration.js';
import { TOKEN_LIFETIME_DEFAULT, tokenLifetimeProblem } from '../../../shared/policy.js';
import type { MeResponse, Role, UserRecord } from '../../../shared/protocol.js';
import { ROLES } from '../../../shared/protocol.js';
import { ApiError, busyCall, errorMessage, listOf } from '../lib/api.js';
import { parseWholeNumber } from '../lib/units.js';
import { baseStyles } from '../styles/shared-styles.js';
import { TOKEN_LIFETIME_BOUNDS_MESSAGE } from './vigil-token-settings.js';
import { RealmPage } from './realm-page.js';
import './vigil-dialog.js';
import './vigil-confirm-dialog.js';
import './vigil-duration-input.js';

interface Draft {
  mode: 'create' | 'edit';
  username: string;
  password: string;
  roles: Role[];
  tokenLifetime: string;
  enabled: boolean;
  email: string;
}

type MailAction = 'UPDATE_PASSWORD' | 'VERIFY_EMAIL';
const MAIL_ACTIONS: Array<{ action: MailAction; label: string }> = [
  { action: 'UPDATE_PASSWORD', label: 'Update password' },
  { action: 'VERIFY_EMAIL', label: 'Verify e-mail' },
];

interface Sending {
  user: UserRecord;
  actions: MailAction[];
  /** Seconds; null: the realm's adminActionLifespan. */
  lifespan: number | null;
  /** The duration input's text is not a whole duration. */
  lifespanInvalid: boolean;
}

const ROLE_HELP: Record<Role, string> = {
  admin: 'everything in the realm',
  viewer: 'read-only monitoring',
  user: 'own sessions only',
};

export class VigilUsers extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 75rem; }
      .roles { display: flex; gap: 0.375rem; flex-wrap: wrap; }
      .role { font-size: 0.6875rem; font-weight: 700; padding: 0.125rem 0.5rem; border-radius: 0.25rem; background: var(--vigil-info-soft); color: var(--vigil-text-muted); text-transform: uppercase; letter-spacing: 0.04em; }
      .role.admin { background: var(--vigil-accent-soft); color: var(--vigil-accent); }
      form { display: grid; gap: 1rem; }
      fieldset { border: 0.0625rem solid var(--vigil-border); border-radius: var(--vigil-radius-sm); padding: 0.625rem 0.875rem 0.75rem; display: grid; gap: 0.5rem; margin: 0; }
      legend { font-size: var(--vigil-text-sm); font-weight: 600; padding: 0 0.25rem; }
      .two { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
      tr.disabled td:not(.actions) { color: var(--vigil-text-faint); }
      .email { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
      .link { display: flex; gap: 0.75rem; align-items: center; justify-content: space-between; font-size: var(--vigil-text-sm); }
      .link .mono { font-family: var(--vigil-font-mono); font-size: var(--vigil-text-xs); }
    `,
  ];

  @state() _users: UserRecord[] | null = null;
  @state() _error = '';
  @state() _draft: Draft | null = null;
  @state() _formError = '';
  @state() _busy = false;
  @state() _deleting: UserRecord | null = null;
  @state() _sending: Sending | null = null;
  @state() _notice = '';
  /** The edited user's identity provider links; null while they load (or could not be read). */
  @state() _links: Array<{ alias: string; subject: string }> | null = null;
  @state() _linksError = '';
  readonly #failForm = (message: string) => (this._formError = message);

  /** The caller, so that they cannot delete or disable themselves by accident. */
  @property({ attribute: false }) me: MeResponse | null = null;

  protected override async load(): Promise<void> {
    try {
      const users = listOf<UserRecord>(await this.api.get('/users'), 'users');
      this._users = users.sort((a, b) => a.username.localeCompare(b.username));
      this._error = '';
    } catch (e) {
      this._error = errorMessage(e, 'The users could not be loaded.');
    }
  }

  #openCreate(): void {
    this._formError = '';
    this._draft = { mode: 'create', username: '', password: '', roles: ['user'], tokenLifetime: String(TOKEN_LIFETIME_DEFAULT), enabled: true, email: '' };
  }

  #openEdit(u: UserRecord): void {
    this._formError = '';
    this._draft = { mode: 'edit', username: u.username, password: '', roles: [...u.roles], tokenLifetime: String(u.tokenLifetime), enabled: u.enabled, email: u.email ?? '' };
    void this.#loadLinks(u.username);
  }

  async #loadLinks(username: string): Promise<void> {
    this._links = null;
    this._linksError = '';
    try {
      const body = await this.api.get<{ identityLinks: Array<{ alias: string; subject: string }> }>(`/users/${encodeURIComponent(username)}/identity-links`);
      if (this._draft?.username === username) this._links = body.identityLinks;
    } catch (e) {
      if (this._draft?.username === username) this._linksError = errorMessage(e, 'The identity provider links could not be loaded.');
    }
  }

  async #unlink(username: string, alias: string): Promise<void> {
    await busyCall(this, async () => {
      await this.api.delete(`/users/${encodeURIComponent(username)}/identity-links/${encodeURIComponent(alias)}`);
      await this.#loadLinks(username);
    }, (message) => (this._linksError = message));
  }

  #renderLinks(d: Draft) {
    return html`<fieldset data-testid="identity-links"><legend>Identity provider links</legend>
      ${this._linksError
        ? html`<div class="banner error" role="alert">${this._linksError}</div>`
        : this._links === null
          ? html`<span class="hint">Loading…</span>`
          : this._links.length === 0
            ? html`<span class="hint">None: signing in through an identity provider does not sign in as ${d.username}.</span>`
            : this._links.map((l) => html`<div class="link"><span><strong>${l.alias}</strong> <span class="muted mono">${l.subject}</span></span>
                <button class="small danger" type="button" ?disabled=${this._busy} aria-label="Unlink ${l.alias}" @click=${() => void this.#unlink(d.username, l.alias)}>Unlink</button></div>`)}
      ${this._links?.length ? html`<span class="hint">Unlinked, signing in through the provider no longer signs in as ${d.username}; when the e-mail matches, they are mailed a link to connect again.</span>` : nothing}
    </fieldset>`;
  }

  async #submit(e: Event): Promise<void> {
    e.preventDefault();
    const d = this._draft!;
    const lifetime = parseWholeNumber(d.tokenLifetime);
    if (d.mode === 'create' && !/^[A-Za-z0-9._@-]{1,64}$/.test(d.username)) {
      this._formError = 'Username: 1 to 64 letters, digits, dots, dashes, underscores or @.';
      return;
    }
    if (d.mode === 'create' && d.password.length < 8) {
      this._formError = 'Password: at least 8 characters.';
      return;
    }
    if (d.roles.length === 0) {
      this._formError = 'Choose at least one role.';
      return;
    }
    if (lifetime === null || tokenLifetimeProblem(lifetime)) {
      this._formError = TOKEN_LIFETIME_BOUNDS_MESSAGE;
      return;
    }
    const email = d.email.trim();
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      this._formError = 'E-mail: an address like alice@example.com, or empty.';
      return;
    }
    this._formError = '';
    await busyCall(this, async () => {
      if (d.mode === 'create') {
        await this.api.post('/users', { username: d.username, password: d.password, roles: d.roles, tokenLifetime: lifetime, enabled: d.enabled, ...(email ? { email } : {}) });
      } else {
        const before = this._users?.find((u) => u.username === d.username)?.email ?? '';
        const body: Record<string, unknown> = { roles: d.roles, tokenLifetime: lifetime, enabled: d.enabled };
        if (email !== before) body.email = email || null;
        if (d.password) body.password = d.password;
        await this.api.patch(`/users/${encodeURIComponent(d.username)}`, body);
      }
      this._draft = null;
      await this.load();
    }, this.#failForm, (err) => (err instanceof ApiError && err.code === 'VIGIL_ERR_CONFLICT' ? (/e-mail/.test(err.message) ? `Another user has the address ${email}.` : `A user named "${d.username}" already exists.`) : errorMessage(err, 'Failed.')));
  }

  #openSend(u: UserRecord): void {
    this._formError = '';
    this._notice = '';
    this._sending = { user: u, actions: ['UPDATE_PASSWORD'], lifespan: null, lifespanInvalid: false };
  }

  async #send(): Promise<void> {
    const s = this._sending!;
    if (s.actions.length === 0) {
      this._formError = 'Choose at least one action.';
      return;
    }
    if (s.lifespan !== null && (s.lifespanInvalid || s.lifespan < 1)) {
      this._formError = 'Link lifespan: a whole number of seconds, at least 1 — or leave it off for the realm\'s default.';
      return;
    }
    this._formError = '';
    // in the order the link's page performs them: the password first, then the address
    const actions = MAIL_ACTIONS.map((a) => a.action).filter((a) => s.actions.includes(a));
    await busyCall(this, async () => {
      await this.api.put(`/users/${encodeURIComponent(s.user.username)}/execute-actions-email${s.lifespan !== null ? `?lifespan=${s.lifespan}` : ''}`, actions);
      this._sending = null;
      this._notice = `An e-mail with one link was sent to ${s.user.email} (see Outbox).`;
    }, this.#failForm);
  }

  #renderSend() {
    const s = this._sending;
    return html`
      <vigil-dialog .open=${!!s} heading=${s ? `Send actions e-mail to ${s.user.username}` : ''} @vigil-close=${() => (this._sending = null)}>
        ${s
          ? html`<form id="send-form" @submit=${(e: Event) => { e.preventDefault(); void this.#send(); }} novalidate>
              <p class="muted">One e-mail to <strong>${s.user.email}</strong> with one link that performs these actions, in order. It works once.</p>
              <fieldset><legend>Actions</legend>
                ${MAIL_ACTIONS.map((a) => html`<label class="check"><input type="checkbox" .checked=${s.actions.includes(a.action)}
                  @change=${(e: Event) => { const on = (e.target as HTMLInputElement).checked; this._sending = { ...s, actions: on ? [...s.actions, a.action] : s.actions.filter((x) => x !== a.action) }; }} />${a.label}</label>`)}
              </fieldset>
              <label class="check"><input type="checkbox" .checked=${s.lifespan !== null}
                @change=${(e: Event) => (this._sending = { ...s, lifespan: (e.target as HTMLInputElement).checked ? 3600 : null, lifespanInvalid: false })} />Own link lifespan for this send</label>
              ${s.lifespan !== null
                ? html`<vigil-duration-input .value=${s.lifespan} label="Link lifespan"
                    @vigil-change=${(e: CustomEvent<{ seconds: number | null }>) => (this._sending = { ...s, lifespan: e.detail.seconds ?? s.lifespan, lifespanInvalid: e.detail.seconds === null })}></vigil-duration-input>`
                : html`<span class="hint">Off: the realm's admin-initiated action lifespan (Realm settings).</span>`}
              ${this._formError ? html`<div class="banner error" role="alert">${this._formError}</div>` : nothing}
            </form>`
          : nothing}
        <button slot="footer" @click=${() => (this._sending = null)}>Cancel</button>
        <button slot="footer" class="primary" type="submit" form="send-form" ?disabled=${this._busy} @click=${(e: Event) => { e.preventDefault(); void this.#send(); }}>Send e-mail</button>
      </vigil-dialog>
    `;
  }

  async #setEnabled(u: UserRecord, enabled: boolean): Promise<void> {
    try {
      await this.api.patch(`/users/${encodeURIComponent(u.username)}`, { enabled });
      await this.load();
    } catch (e) {
      this._error = errorMessage(e, 'Failed.');
    }
  }

  async #delete(): Promise<void> {
    const u = this._deleting!;
    await busyCall(this, async () => {
      await this.api.delete(`/users/${encodeURIComponent(u.username)}`);
      this._deleting = null;
      await this.load();
    }, this.#failForm);
  }

  #update(patch: Partial<Draft>): void {
    this._draft = { ...this._draft!, ...patch };
  }

  #renderForm() {
    const d = this._draft;
    const lifetime = d ? parseWholeNumber(d.tokenLifetime) : null;
    return html`
      <vigil-dialog .open=${!!d} wide heading=${d?.mode === 'edit' ? `Edit ${d.username}` : 'Create user'} @vigil-close=${() => (this._draft = null)}>
        ${d
          ? html`<form id="user-form" @submit=${this.#submit} novalidate>
              <div class="two">
                <label class="field">Username
                  <input autocomplete="off" .value=${d.username} ?disabled=${d.mode === 'edit'} autofocus @input=${(e: Event) => this.#update({ username: (e.target as HTMLInputElement).value })} />
                </label>
                <label class="field">${d.mode === 'edit' ? 'New password (optional)' : 'Password'}
                  <input type="password" autocomplete="new-password" .value=${d.password} @input=${(e: Event) => this.#update({ password: (e.target as HTMLInputElement).value })} />
                </label>
              </div>
              <label class="field">E-mail (optional)
                <input type="email" autocomplete="off" .value=${d.email} @input=${(e: Event) => this.#update({ email: (e.target as HTMLInputElement).value })} />
                <span class="hint">Where reset-password and actions links go. A new address starts unverified.</span>
              </label>
              <fieldset><legend>Roles</legend>
                ${ROLES.map((r) => html`<label class="check"><input type="checkbox" .checked=${d.roles.includes(r)}
                  @change=${(e: Event) => this.#update({ roles: (e.target as HTMLInputElement).checked ? [...d.roles, r] : d.roles.filter((x) => x !== r) })} />
                  <strong>${r}</strong><span class="muted">— ${ROLE_HELP[r]}</span></label>`)}
              </fieldset>
              <div class="two">
                <label class="field">Token lifetime (seconds)
                  <input inputmode="numeric" .value=${d.tokenLifetime} @input=${(e: Event) => this.#update({ tokenLifetime: (e.target as HTMLInputElement).value })} />
                  <span class="hint">${lifetime !== null && !tokenLifetimeProblem(lifetime) ? humanizeSeconds(lifetime) : '30 to 2147482 seconds'}</span>
                </label>
                <label class="check" style="align-self:center"><input type="checkbox" .checked=${d.enabled} @change=${(e: Event) => this.#update({ enabled: (e.target as HTMLInputElement).checked })} />Enabled</label>
              </div>
              ${d.mode === 'edit' ? this.#renderLinks(d) : nothing}
              ${this._formError ? html`<div class="banner error" role="alert">${this._formError}</div>` : nothing}
            </form>`
          : nothing}
        <button slot="footer" @click=${() => (this._draft = null)}>Cancel</button>
        <button slot="footer" class="primary" type="submit" form="user-form" ?disabled=${this._busy}
          @click=${(e: Event) => void this.#submit(e)}>${d?.mode === 'edit' ? 'Save' : 'Create user'}</button>
      </vigil-dialog>
    `;
  }

  override render() {
    const self = this.me?.user.username;
    return html`
      <div class="page-title"><h1>Users</h1><span class="muted">realm <strong>${this.realm}</strong></span></div>
      <section class="card">
        <div class="card-header"><h2>Accounts</h2><button class="primary" @click=${this.#openCreate}>Create user</button></div>
        ${this._error ? html`<div class="card-body"><div class="banner error" role="alert">${this._error}</div></div>` : nothing}
        ${this._notice ? html`<div class="card-body"><div class="banner info" role="status" data-testid="users-notice">${this._notice}</div></div>` : nothing}
        ${this._users === null && !this._error
          ? html`<div class="empty"><div class="spinner"></div><span>Loading users…</span></div>`
          : this._users && this._users.length === 0
            ? html`<div class="empty"><strong>No users yet</strong><span>Create the first account.</span></div>`
            : html`<table class="data">
                <thead><tr><th scope="col">Username</th><th scope="col">E-mail</th><th scope="col">Roles</th><th scope="col">Token lifetime</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  ${(this._users ?? []).map((u) => html`<tr class=${u.enabled ? '' : 'disabled'} data-user=${u.username}>
                    <td><strong>${u.username}</strong>${u.username === self ? html` <span class="muted">(you)</span>` : nothing}</td>
                    <td>${u.email
                      ? html`<span class="email">${u.email}<span class="badge ${u.emailVerified ? 'active' : 'warning'}">${u.emailVerified ? 'verified' : 'not verified'}</span></span>`
                      : html`<span class="muted">—</span>`}</td>
                    <td><span class="roles">${u.roles.map((r) => html`<span class="role ${r}">${r}</span>`)}</span></td>
                    <td title="${u.tokenLifetime} seconds">${humanizeSeconds(u.tokenLifetime)}</td>
                    <td><span class="badge ${u.enabled ? 'active' : 'danger'}">${u.enabled ? 'enabled' : 'disabled'}</span></td>
                    <td>${u.createdAt ? new Date(u.createdAt).toLocaleDateString() : '—'}</td>
                    <td class="actions">
                      <button class="small" @click=${() => this.#openEdit(u)} aria-label="Edit ${u.username}">Edit</button>
                      <button class="small" ?disabled=${!u.email || !u.enabled} title=${!u.email ? 'No e-mail address' : !u.enabled ? 'Disabled' : ''} aria-label="Send actions e-mail to ${u.username}" @click=${() => this.#openSend(u)}>Send actions e-mail</button>
                      <button class="small" ?disabled=${u.username === self} @click=${() => void this.#setEnabled(u, !u.enabled)}>${u.enabled ? 'Disable' : 'Enable'}</button>
                      <button class="small danger" ?disabled=${u.username === self} aria-label="Delete ${u.username}" @click=${() => { this._formError = ''; this._deleting = u; }}>Delete</button>
                    </td>
                  </tr>`)}
                </tbody>
              </table>`}
      </section>
      ${this.#renderForm()}
      ${this.#renderSend()}
      <vigil-confirm-dialog .open=${!!this._deleting} heading="Delete user" confirm-label="Delete user" checkbox-label="Confirm" .busy=${this._busy} .error=${this._formError}
        @vigil-close=${() => (this._deleting = null)} @vigil-confirm=${() => void this.#delete()}>
        <p>Delete <strong>${this._deleting?.username}</strong>? Their sessions end at once. This cannot be undone.</p>
      </vigil-confirm-dialog>
    `;
  }
}

customElements.define('vigil-users', VigilUsers);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-users': VigilUsers;
  }
}
