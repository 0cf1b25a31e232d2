/**
 * Identity providers, for admins: upstream OpenID Connect providers the realm's users may sign
 * in through (Keycloak's identity brokering). Add one (alias, button text, issuer, this realm's
 * client at the upstream and its secret), change one, remove one. The client secret is written
 * only: the server never reads it back, so editing leaves it as it is unless a new one is typed.
 * The redirect URI to register at the upstream is shown as the alias is typed.
 */
import { css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import { ApiError, busyCall, errorMessage, listOf } from '../lib/api.js';
import { baseStyles } from '../styles/shared-styles.js';
import { RealmPage } from './realm-page.js';
import './vigil-dialog.js';
import './vigil-confirm-dialog.js';
import { ALIAS, ALIAS_RULE, type IdentityProvider } from '../../../shared/identity-providers.js';


interface Draft {
  mode: 'create' | 'edit';
  alias: string;
  displayName: string;
  issuer: string;
  clientId: string;
  /** Empty on edit: keep the current one. */
  clientSecret: string;
  /** On edit, the issuer as it was: links to users are by subject, which means someone only at that issuer. */
  issuerBefore?: string;
}


/** What the upstream must accept as this realm's redirect URI for the provider. */
export function brokerRedirectUri(origin: string, realm: string, alias: string): string {
  return `${origin}/realms/${encodeURIComponent(realm)}/broker/${alias || '{alias}'}/endpoint`;
}

/** The first problem of a draft, in the order of the form's fields, or ''. */
export function draftProblem(d: Draft): string {
  if (d.mode === 'create' && !ALIAS.test(d.alias)) return `Alias: ${ALIAS_RULE}.`;
  let url: URL | null = null;
  try {
    url = new URL(d.issuer.trim());
  } catch {
    /* reported below */
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash) return 'Issuer URL: an http:// or https:// URL without ? or #, e.g. https://idp.example.com/realms/acme.';
  if (!d.clientId.trim()) return 'Client ID: the client registered for this realm at the provider.';
  if (d.mode === 'create' && !d.clientSecret) return 'Client secret: the secret of that client.';
  return '';
}

export class VigilIdentityProviders extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 75rem; }
      form { display: grid; gap: 1rem; }
      .two { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; align-items: start; }
      div.field { display: grid; gap: 0.375rem; font-size: var(--vigil-text-sm); font-weight: 600; }
      .redirect { font-family: var(--vigil-font-mono); font-size: var(--vigil-text-xs); word-break: break-all; }
      .empty p { max-width: 40rem; margin: 0; line-height: 1.5; }
      .empty code { font-family: var(--vigil-font-mono); font-size: var(--vigil-text-sm); }
    `,
  ];

  @state() _providers: IdentityProvider[] | null = null;
  @state() _error = '';
  @state() _draft: Draft | null = null;
  @state() _formError = '';
  @state() _busy = false;
  @state() _removing: IdentityProvider | null = null;
  readonly #failForm = (message: string) => (this._formError = message);

  protected override async load(): Promise<void> {
    try {
      this._providers = listOf<IdentityProvider>(await this.api.get('/identity-providers'), 'identityProviders');
      this._error = '';
    } catch (e) {
      this._error = e instanceof ApiError && e.status === 403 ? 'Identity providers need the admin role.' : errorMessage(e, 'The identity providers could not be loaded.');
    }
  }

  #openCreate(): void {
    this._formError = '';
    this._draft = { mode: 'create', alias: '', displayName: '', issuer: '', clientId: '', clientSecret: '' };
  }

  #openEdit(p: IdentityProvider): void {
    this._formError = '';
    this._draft = { mode: 'edit', alias: p.alias, displayName: p.displayName === p.alias ? '' : p.displayName, issuer: p.issuer, clientId: p.clientId, clientSecret: '', issuerBefore: p.issuer };
  }

  #update(patch: Partial<Draft>): void {
    this._draft = { ...this._draft!, ...patch };
  }

  async #submit(e: Event): Promise<void> {
    e.preventDefault();
    const d = this._draft!;
    const problem = draftProblem(d);
    if (problem) {
      this._formError = problem;
      return;
    }
    this._formError = '';
    const body: Record<string, string> = { displayName: d.displayName.trim(), issuer: d.issuer.trim(), clientId: d.clientId.trim() };
    if (d.clientSecret) body.clientSecret = d.clientSecret;
    await busyCall(this, async () => {
      if (d.mode === 'create') await this.api.post('/identity-providers', { alias: d.alias, ...body });
      else await this.api.patch(`/identity-providers/${encodeURIComponent(d.alias)}`, body);
      this._draft = null;
      await this.load();
    }, this.#failForm, (err) => (err instanceof ApiError && err.code === 'VIGIL_ERR_CONFLICT' ? `A provider with the alias "${d.alias}" already exists: choose another alias, or edit that one.` : errorMessage(err, 'Failed.')));
  }

  async #remove(): Promise<void> {
    const p = this._removing!;
    await busyCall(this, async () => {
      await this.api.delete(`/identity-providers/${encodeURIComponent(p.alias)}`);
      this._removing = null;
      await this.load();
    }, this.#failForm);
  }

  #renderEmpty() {
    return html`<div class="empty" data-testid="idp-empty"><strong>No identity providers</strong>
      <p>An identity provider is another OpenID Connect server — your company's Keycloak, Google, Azure AD — that this realm trusts to sign users in.
        Its button appears on the sign-in pages; the first sign-in through it creates the user here, or, when the e-mail address is an existing user's, e-mails that user a link to connect the two accounts.</p>
      <p class="muted">Another Vigil realm's issuer URL works too, e.g. <code>${location.origin}/realms/staff</code>, with a confidential client made there whose redirect URI is <code>${brokerRedirectUri(location.origin, this.realm, '{alias}')}</code>.</p>
      <button class="primary" @click=${this.#openCreate}>Add provider</button></div>`;
  }

  #renderForm() {
    const d = this._draft;
    return html`
      <vigil-dialog .open=${!!d} wide heading=${d?.mode === 'edit' ? `Edit ${d.alias}` : 'Add identity provider'} @vigil-close=${() => (this._draft = null)}>
        ${d
          ? html`<form id="idp-form" @submit=${this.#submit} novalidate>
              <div class="two">
                <label class="field">Alias
                  <input name="alias" autocomplete="off" spellcheck="false" placeholder="e.g. corporate" .value=${d.alias} ?disabled=${d.mode === 'edit'} autofocus
                    @input=${(e: Event) => this.#update({ alias: (e.target as HTMLInputElement).value.trim() })} />
                  <span class="hint">${d.mode === 'edit' ? 'Part of the redirect URI, so it cannot change.' : 'Lowercase letters, digits, _ or -; part of the redirect URI.'}</span>
                </label>
                <label class="field">Display name (optional)
                  <input name="displayName" autocomplete="off" placeholder=${d.alias || 'e.g. Corporate login'} .value=${d.displayName} @input=${(e: Event) => this.#update({ displayName: (e.target as HTMLInputElement).value })} />
                  <span class="hint">What the sign-in button says; empty: the alias.</span>
                </label>
              </div>
              <label class="field">Issuer URL
                <input name="issuer" inputmode="url" autocomplete="off" spellcheck="false" placeholder="https://idp.example.com/realms/acme" .value=${d.issuer} @input=${(e: Event) => this.#update({ issuer: (e.target as HTMLInputElement).value })} />
                <span class="hint">Vigil reads <code>{issuer}/.well-known/openid-configuration</code> at each sign-in.</span>
              </label>
              ${d.issuerBefore !== undefined && d.issuer.trim().replace(/\/+$/, '') !== d.issuerBefore
                ? html`<div class="banner warning" role="status" data-testid="idp-issuer-warning">Users linked through this provider stay linked: whoever has the same subject at the new issuer signs in as them. Change the issuer only when it is the same provider at a new address; otherwise add a new provider.</div>`
                : nothing}
              <div class="two">
                <label class="field">Client ID
                  <input name="clientId" autocomplete="off" spellcheck="false" .value=${d.clientId} @input=${(e: Event) => this.#update({ clientId: (e.target as HTMLInputElement).value })} />
                </label>
                <label class="field">${d.mode === 'edit' ? 'New client secret (optional)' : 'Client secret'}
                  <input name="clientSecret" type="password" autocomplete="new-password" .value=${d.clientSecret} @input=${(e: Event) => this.#update({ clientSecret: (e.target as HTMLInputElement).value })} />
                  <span class="hint">${d.mode === 'edit' ? 'Never shown; leave empty to keep the current one.' : 'Stored for the code exchange; never shown again.'}</span>
                </label>
              </div>
              <div class="field"><span>Redirect URI to register at the provider</span>
                <span class="redirect" data-testid="idp-redirect-uri">${brokerRedirectUri(location.origin, this.realm, d.alias)}</span>
              </div>
              ${this._formError ? html`<div class="banner error" role="alert">${this._formError}</div>` : nothing}
            </form>`
          : nothing}
        <button slot="footer" @click=${() => (this._draft = null)}>Cancel</button>
        <button slot="footer" class="primary" type="submit" form="idp-form" ?disabled=${this._busy}
          @click=${(e: Event) => void this.#submit(e)}>${d?.mode === 'edit' ? 'Save' : 'Add provider'}</button>
      </vigil-dialog>
    `;
  }

  override render() {
    const list = this._providers;
    return html`
      <div class="page-title"><h1>Identity providers</h1><span class="muted">sign in through another OpenID Connect server</span></div>
      <section class="card">
        <div class="card-header"><h2>Providers</h2>${list && list.length ? html`<button class="primary" @click=${this.#openCreate}>Add provider</button>` : nothing}</div>
        ${this._error ? html`<div class="card-body"><div class="banner error" role="alert">${this._error}</div></div>` : nothing}
        ${list === null && !this._error
          ? html`<div class="empty"><div class="spinner"></div><span>Loading identity providers…</span></div>`
          : list && list.length === 0
            ? this.#renderEmpty()
            : html`<table class="data">
                <thead><tr><th scope="col">Alias</th><th scope="col">Button</th><th scope="col">Issuer</th><th scope="col">Client ID</th><th scope="col">Added</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${(list ?? []).map((p) => html`<tr data-idp=${p.alias}>
                  <td><strong>${p.alias}</strong></td><td>${p.displayName}</td><td class="mono">${p.issuer}</td><td class="mono">${p.clientId}</td>
                  <td>${p.createdAt ? new Date(p.createdAt).toLocaleString() : '—'}</td>
                  <td class="actions">
                    <button class="small" aria-label="Edit ${p.alias}" @click=${() => this.#openEdit(p)}>Edit</button>
                    <button class="small danger" aria-label="Remove ${p.alias}" @click=${() => { this._formError = ''; this._removing = p; }}>Remove</button>
                  </td>
                </tr>`)}</tbody>
              </table>`}
      </section>
      ${this.#renderForm()}
      <vigil-confirm-dialog .open=${!!this._removing} heading="Remove identity provider" confirm-label="Remove" checkbox-label="Confirm" .busy=${this._busy} .error=${this._formError}
        @vigil-close=${() => (this._removing = null)} @vigil-confirm=${() => void this.#remove()}>
        <p>Remove <strong>${this._removing?.displayName}</strong>? Its button leaves the sign-in pages at once. Users it created or linked keep their accounts and can still sign in with a password (a created user must first set one with Forgot password).</p>
      </vigil-confirm-dialog>
    `;
  }
}

customElements.define('vigil-identity-providers', VigilIdentityProviders);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-identity-providers': VigilIdentityProviders;
  }
}
