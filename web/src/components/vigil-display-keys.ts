/**
 * Display keys, for admins: long-lived viewer credentials for wall displays. Creating one
 * shows the key once, with a copyable wall URL (`<origin>/wall#key=…`); revoking one
 * disconnects the displays that use it.
 */
import { css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import type { DisplayKey } from '../../../shared/protocol.js';
import { busyCall, errorMessage, listOf } from '../lib/api.js';
import { baseStyles } from '../styles/shared-styles.js';
import { RealmPage } from './realm-page.js';
import './vigil-dialog.js';
import './vigil-confirm-dialog.js';

export function wallUrl(origin: string, key: string, realm: string): string {
  return `${origin}/wall#key=${encodeURIComponent(key)}${realm === 'default' ? '' : `&realm=${encodeURIComponent(realm)}`}`;
}

export class VigilDisplayKeys extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 68.75rem; }
      .secret { display: flex; gap: 0.5rem; }
      .secret input { font-family: var(--vigil-font-mono); font-size: var(--vigil-text-sm); }
    `,
  ];

  @state() _keys: DisplayKey[] | null = null;
  @state() _error = '';
  @state() _creating = false;
  @state() _name = '';
  @state() _created: DisplayKey | null = null;
  @state() _revoking: DisplayKey | null = null;
  @state() _busy = false;
  @state() _formError = '';
  @state() _copied = '';
  readonly #failForm = (message: string) => (this._formError = message);

  protected override async load(): Promise<void> {
    try {
      const body = await this.api.get<unknown>('/display-keys');
      this._keys = listOf<DisplayKey>(body, 'displayKeys');
      this._error = '';
    } catch (e) {
      this._error = errorMessage(e, 'The display keys could not be loaded.');
    }
  }

  async #create(e: Event): Promise<void> {
    e.preventDefault();
    const name = this._name.trim();
    if (!name) {
      this._formError = 'Give the key a name, e.g. the room of the screen.';
      return;
    }
    await busyCall(this, async () => {
      this._created = (await this.api.post<{ displayKey: DisplayKey }>('/display-keys', { name })).displayKey;
      this._creating = false;
      this._name = '';
      await this.load();
    }, this.#failForm);
  }

  async #revoke(): Promise<void> {
    const k = this._revoking!;
    await busyCall(this, async () => {
      await this.api.delete(`/display-keys/${encodeURIComponent(k.id)}`);
      this._revoking = null;
      await this.load();
    }, this.#failForm);
  }

  async #copy(text: string, what: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this._copied = `${what} copied to the clipboard.`;
    } catch {
      const input = this.renderRoot.querySelector<HTMLInputElement>(`input[data-copy="${what}"]`);
      input?.select();
      this._copied = 'Select the text and copy it (the clipboard is not available here).';
    }
  }

  override render() {
    const created = this._created;
    const url = created?.key ? wallUrl(location.origin, created.key, this.realm) : '';
    return html`
      <div class="page-title"><h1>Display keys</h1><span class="muted">read-only credentials for wall displays</span></div>
      <section class="card">
        <div class="card-header"><h2>Keys</h2><button class="primary" @click=${() => { this._formError = ''; this._creating = true; }}>Create key</button></div>
        ${this._error ? html`<div class="card-body"><div class="banner error" role="alert">${this._error}</div></div>` : nothing}
        ${this._keys === null && !this._error
          ? html`<div class="empty"><div class="spinner"></div><span>Loading keys…</span></div>`
          : this._keys && this._keys.length === 0
            ? html`<div class="empty"><strong>No display keys</strong><span>Create one for each wall screen; each can be revoked on its own.</span></div>`
            : html`<table class="data">
                <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Created</th><th scope="col">By</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${(this._keys ?? []).map((k) => html`<tr data-key=${k.id}>
                  <td><strong>${k.name}</strong></td><td class="mono">${k.id}</td>
                  <td>${k.createdAt ? new Date(k.createdAt).toLocaleString() : '—'}</td><td>${k.createdBy ?? '—'}</td>
                  <td class="actions"><button class="small danger" aria-label="Revoke ${k.name}" @click=${() => { this._formError = ''; this._revoking = k; }}>Revoke</button></td>
                </tr>`)}</tbody>
              </table>`}
      </section>

      <vigil-dialog .open=${this._creating} heading="Create display key" @vigil-close=${() => (this._creating = false)}>
        <form id="key-form" @submit=${this.#create} novalidate>
          <label class="field">Name
            <input autofocus placeholder="e.g. NOC wall, 3rd floor" .value=${this._name} @input=${(e: Event) => (this._name = (e.target as HTMLInputElement).value)} />
          </label>
        </form>
        ${this._formError ? html`<div class="banner error" role="alert">${this._formError}</div>` : nothing}
        <button slot="footer" @click=${() => (this._creating = false)}>Cancel</button>
        <button slot="footer" class="primary" ?disabled=${this._busy} @click=${(e: Event) => void this.#create(e)}>Create key</button>
      </vigil-dialog>

      <vigil-dialog .open=${!!created} wide heading="Display key created" @vigil-close=${() => { this._created = null; this._copied = ''; }}>
        ${created
          ? html`<div class="banner warning">This key is shown only once. Copy the wall URL now and open it on the display.</div>
              <label class="field">Wall URL
                <span class="secret"><input readonly data-copy="Wall URL" data-testid="wall-url" .value=${url} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
                <button @click=${() => void this.#copy(url, 'Wall URL')}>Copy</button></span>
              </label>
              <label class="field">Key
                <span class="secret"><input readonly data-copy="Key" data-testid="display-key" .value=${created.key ?? ''} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
                <button @click=${() => void this.#copy(created.key ?? '', 'Key')}>Copy</button></span>
              </label>
              ${this._copied ? html`<div class="banner success" role="status">${this._copied}</div>` : nothing}`
          : nothing}
        <button slot="footer" class="primary" @click=${() => { this._created = null; this._copied = ''; }}>Done</button>
      </vigil-dialog>

      <vigil-confirm-dialog .open=${!!this._revoking} heading="Revoke display key" confirm-label="Revoke" checkbox-label="Confirm" .busy=${this._busy} .error=${this._formError}
        @vigil-close=${() => (this._revoking = null)} @vigil-confirm=${() => void this.#revoke()}>
        <p>Revoke <strong>${this._revoking?.name}</strong>? Displays using it disconnect at once.</p>
      </vigil-confirm-dialog>
    `;
  }
}

customElements.define('vigil-display-keys', VigilDisplayKeys);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-display-keys': VigilDisplayKeys;
  }
}
