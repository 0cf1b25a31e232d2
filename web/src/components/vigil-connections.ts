/**
 * Connections, for admins: every real-time connection of the realm on every node (GET
 * /connections), with a Disconnect per row (DELETE /connections/{id}: the client is closed with
 * 4403 and does not reconnect). The list is read again every few seconds while the page is
 * shown, and at once after a disconnect: connections come and go without an event on the
 * stream, and one small GET per admin page every few seconds costs less than telling every
 * admin subscriber of every connect.
 */
import { css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import type { ConnectionInfo } from '../../../shared/protocol.js';
import { busyCall, errorMessage, listOf } from '../lib/api.js';
import { tableTime } from '../lib/format.js';
import { baseStyles } from '../styles/shared-styles.js';
import { RealmPage } from './realm-page.js';
import './vigil-confirm-dialog.js';

/** How often the list is read again while the page is shown. */
export const REFRESH_MS = 3000;

/** Who a connection is: the user, or the display key by name (its id when it has none). */
export function whoOf(c: ConnectionInfo): string {
  if (c.user) return c.user.username;
  if (c.displayKey) return `Display key ${c.displayKey.name ?? c.displayKey.id}`;
  return '—';
}

export class VigilConnections extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 87.5rem; }
      td.agent { max-width: 22rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    `,
  ];

  @state() _connections: ConnectionInfo[] | null = null;
  @state() _error = '';
  @state() _closing: ConnectionInfo | null = null;
  @state() _busy = false;
  @state() _formError = '';
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #failForm = (message: string) => (this._formError = message);

  override connectedCallback(): void {
    super.connectedCallback();
    this.#timer = setInterval(() => void this.load(), REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  protected override async load(): Promise<void> {
    try {
      const body = await this.api.get<unknown>('/connections');
      this._connections = listOf<ConnectionInfo>(body, 'connections');
      this._error = '';
    } catch (e) {
      this._error = errorMessage(e, 'The connections could not be loaded.');
    }
  }

  async #disconnect(): Promise<void> {
    const c = this._closing!;
    await busyCall(this, async () => {
      await this.api.delete(`/connections/${encodeURIComponent(c.id)}`);
      this._closing = null;
      await this.load();
    }, this.#failForm);
  }

  override render() {
    const list = this._connections;
    return html`
      <div class="page-title"><h1>Connections</h1><span class="muted">real-time clients of the realm on every server</span></div>
      <section class="card">
        <div class="card-header"><h2>Connected clients</h2>${list ? html`<span class="muted" data-testid="connection-count">${list.length} connected</span>` : nothing}</div>
        ${this._error ? html`<div class="card-body"><div class="banner error" role="alert">${this._error}</div></div>` : nothing}
        ${list === null && !this._error
          ? html`<div class="empty"><div class="spinner"></div><span>Loading connections…</span></div>`
          : list && list.length === 0
            ? html`<div class="empty"><strong>No connections</strong><span>Dashboards, wall displays and other real-time clients show here while they are connected.</span></div>`
            : html`<table class="data">
                <thead><tr><th scope="col">Transport</th><th scope="col">Role</th><th scope="col">User or display key</th><th scope="col">Address</th><th scope="col">User agent</th><th scope="col">Since</th><th scope="col">Topics</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${(list ?? []).map((c) => html`<tr data-connection=${c.id}>
                  <td>${c.transport === 'ws' ? 'WebSocket' : 'Socket.IO'}</td><td>${c.role}</td><td><strong>${whoOf(c)}</strong></td>
                  <td class="mono">${c.ip}</td><td class="agent" title=${c.userAgent ?? ''}>${c.userAgent ?? '—'}</td>
                  <td>${tableTime(c.connectedAt)}</td><td>${c.topics.length ? c.topics.join(', ') : '—'}</td>
                  <td class="actions"><button class="small danger" aria-label="Disconnect ${whoOf(c)} (${c.id})" @click=${() => { this._formError = ''; this._closing = c; }}>Disconnect</button></td>
                </tr>`)}</tbody>
              </table>`}
      </section>

      <vigil-confirm-dialog .open=${!!this._closing} heading="Disconnect client" confirm-label="Disconnect" checkbox-label="Confirm" .busy=${this._busy} .error=${this._formError}
        @vigil-close=${() => (this._closing = null)} @vigil-confirm=${() => void this.#disconnect()}>
        <p>Disconnect <strong>${this._closing ? whoOf(this._closing) : ''}</strong> (${this._closing?.userAgent ?? 'unknown client'} at ${this._closing?.ip})? It is closed with 4403 and does not reconnect by itself; its credential stays valid.</p>
      </vigil-confirm-dialog>
    `;
  }
}

customElements.define('vigil-connections', VigilConnections);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-connections': VigilConnections;
  }
}
