/**
 * Webhooks, for admins: where the realm's events are POSTed, signed per Standard Webhooks.
 * Creating one shows its signing secret once; each webhook's delivery log shows every attempt
 * (status, duration, error) with a way to redeliver that event; a webhook can be disabled and
 * enabled again (it then gets the events from that moment on), or removed.
 */
import { css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import type { Webhook, WebhookDelivery } from '../../../shared/protocol.js';
import { busyCall, errorMessage, listOf } from '../lib/api.js';
import { baseStyles } from '../styles/shared-styles.js';
import { RealmPage } from './realm-page.js';
import './vigil-dialog.js';
import './vigil-confirm-dialog.js';

/** The events field's text as a list: names or `…*` prefixes, separated by commas or spaces. */
export function eventList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}

export class VigilWebhooks extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 68.75rem; }
      .secret { display: flex; gap: 0.5rem; }
      .secret input { font-family: var(--vigil-font-mono); font-size: var(--vigil-text-sm); }
      .url { word-break: break-all; }
      .events { display: flex; flex-wrap: wrap; gap: 0.25rem; }
      .events .badge { text-transform: none; letter-spacing: 0; }
      .log { overflow-x: auto; max-height: 60vh; overflow-y: auto; }
      .log table.data td, .log table.data th { padding: 0.5rem 0.5rem; }
      .log td.mono { font-size: var(--vigil-text-xs); }
      td.error { color: var(--vigil-danger); min-width: 9rem; overflow-wrap: break-word; }
      td.when { white-space: nowrap; }
      .hint { font-size: var(--vigil-text-xs); }
    `,
  ];

  @state() _hooks: Webhook[] | null = null;
  @state() _error = '';
  @state() _creating = false;
  @state() _url = '';
  @state() _events = 'session.*';
  @state() _description = '';
  @state() _created: Webhook | null = null;
  @state() _removing: Webhook | null = null;
  @state() _viewing: Webhook | null = null;
  @state() _deliveries: WebhookDelivery[] | null = null;
  @state() _deliveriesError = '';
  @state() _busy = false;
  @state() _formError = '';
  @state() _copied = '';
  @state() _notice = '';
  readonly #failForm = (message: string) => (this._formError = message);

  protected override async load(): Promise<void> {
    try {
      this._hooks = listOf<Webhook>(await this.api.get<unknown>('/webhooks'), 'webhooks');
      this._error = '';
    } catch (e) {
      this._error = errorMessage(e, 'The webhooks could not be loaded.');
    }
  }

  async #loadDeliveries(): Promise<void> {
    const w = this._viewing;
    if (!w) return;
    try {
      this._deliveries = listOf<WebhookDelivery>(await this.api.get<unknown>(`/webhooks/${encodeURIComponent(w.id)}/deliveries`), 'deliveries');
      this._deliveriesError = '';
    } catch (e) {
      this._deliveriesError = errorMessage(e, 'The delivery log could not be loaded.');
    }
  }

  async #create(e: Event): Promise<void> {
    e.preventDefault();
    const url = this._url.trim();
    const events = eventList(this._events);
    if (!url) {
      this._formError = 'Give the URL the events are sent to.';
      return;
    }
    if (!events.length) {
      this._formError = 'Name at least one event, e.g. session.* or login.failed.';
      return;
    }
    await busyCall(this, async () => {
      this._created = (await this.api.post<{ webhook: Webhook }>('/webhooks', { url, events, ...(this._description.trim() ? { description: this._description.trim() } : {}) })).webhook;
      this._creating = false;
      this._url = '';
      this._description = '';
      await this.load();
    }, this.#failForm);
  }

  async #setEnabled(w: Webhook, enabled: boolean): Promise<void> {
    try {
      await this.api.patch(`/webhooks/${encodeURIComponent(w.id)}`, { enabled });
      this._notice = enabled ? `${w.url} is enabled: it gets the events from now on.` : `${w.url} is disabled.`;
      await this.load();
    } catch (e) {
      this._error = errorMessage(e, 'The webhook could not be changed.');
    }
  }

  async #remove(): Promise<void> {
    const w = this._removing!;
    await busyCall(this, async () => {
      await this.api.delete(`/webhooks/${encodeURIComponent(w.id)}`);
      this._removing = null;
      await this.load();
    }, this.#failForm);
  }

  async #redeliver(d: WebhookDelivery): Promise<void> {
    try {
      await this.api.post(`/webhooks/${encodeURIComponent(d.webhookId)}/deliveries`, { eventId: d.eventId });
      this._deliveriesError = '';
      this._notice = `Event ${d.eventId} is queued for redelivery.`;
      setTimeout(() => void this.#loadDeliveries(), 1000);
    } catch (e) {
      this._deliveriesError = errorMessage(e, 'The event could not be redelivered.');
    }
  }

  #open(w: Webhook): void {
    this._viewing = w;
    this._deliveries = null;
    this._notice = '';
    void this.#loadDeliveries();
  }

  async #copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this._copied = 'Secret copied to the clipboard.';
    } catch {
      this.renderRoot.querySelector<HTMLInputElement>('input[data-testid="webhook-secret"]')?.select();
      this._copied = 'Select the text and copy it (the clipboard is not available here).';
    }
  }

  #status(w: Webhook) {
    if (!w.enabled) return html`<span class="badge danger">Disabled</span>`;
    if (w.failingSince) return html`<span class="badge warning" title="Failing since ${new Date(w.failingSince).toLocaleString()}">Failing</span>`;
    return html`<span class="badge active">Enabled</span>`;
  }

  #renderDeliveries() {
    const list = this._deliveries;
    if (this._deliveriesError) return html`<div class="banner error" role="alert">${this._deliveriesError}</div>`;
    if (list === null) return html`<div class="empty"><div class="spinner"></div><span>Loading attempts…</span></div>`;
    if (!list.length) return html`<div class="empty"><strong>No attempts yet</strong><span>Events are sent as they happen.</span></div>`;
    return html`<div class="log"><table class="data" data-testid="deliveries">
      <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Try</th><th scope="col">Status</th><th scope="col">Error</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${list.map((d) => html`<tr data-event=${d.eventId}>
        <td class="when">${new Date(d.at).toLocaleTimeString()}</td><td class="mono">${d.eventId}</td><td>${d.attempt}</td>
        <td class="when">${d.statusCode === null ? html`<span class="badge danger">none</span>` : html`<span class="badge ${d.error ? 'danger' : 'active'}">${d.statusCode}</span>`} <span class="muted">${d.durationMs} ms</span></td>
        <td class="error">${d.error ?? ''}</td>
        <td class="actions"><button class="small" aria-label="Redeliver ${d.eventId}" @click=${() => void this.#redeliver(d)}>Redeliver</button></td>
      </tr>`)}</tbody>
    </table></div>`;
  }

  override render() {
    const created = this._created;
    return html`
      <div class="page-title"><h1>Webhooks</h1><span class="muted">the realm's events, POSTed to your systems and signed (Standard Webhooks)</span></div>
      ${this._notice && !this._viewing ? html`<div class="banner success" role="status">${this._notice}</div>` : nothing}
      <section class="card">
        <div class="card-header"><h2>Endpoints</h2><button class="primary" @click=${() => { this._formError = ''; this._creating = true; }}>Add webhook</button></div>
        ${this._error ? html`<div class="card-body"><div class="banner error" role="alert">${this._error}</div></div>` : nothing}
        ${this._hooks === null && !this._error
          ? html`<div class="empty"><div class="spinner"></div><span>Loading webhooks…</span></div>`
          : this._hooks && this._hooks.length === 0
            ? html`<div class="empty"><strong>No webhooks</strong><span>Add one to have session events, failed sign-ins and more sent to a URL of yours.</span></div>`
            : html`<table class="data">
                <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${(this._hooks ?? []).map((w) => html`<tr data-webhook=${w.id}>
                  <td><strong class="url">${w.url}</strong>${w.description ? html`<div class="muted">${w.description}</div>` : nothing}</td>
                  <td><span class="events">${w.events.map((e) => html`<span class="badge plain mono">${e}</span>`)}</span></td>
                  <td>${this.#status(w)}</td>
                  <td>${new Date(w.createdAt).toLocaleString()}</td>
                  <td class="actions">
                    <button class="small" aria-label="Deliveries of ${w.url}" @click=${() => this.#open(w)}>Deliveries</button>
                    ${w.enabled
                      ? html`<button class="small" aria-label="Disable ${w.url}" @click=${() => void this.#setEnabled(w, false)}>Disable</button>`
                      : html`<button class="small" aria-label="Enable ${w.url}" @click=${() => void this.#setEnabled(w, true)}>Enable</button>`}
                    <button class="small danger" aria-label="Remove ${w.url}" @click=${() => { this._formError = ''; this._removing = w; }}>Remove</button>
                  </td>
                </tr>`)}</tbody>
              </table>`}
      </section>

      <vigil-dialog .open=${this._creating} heading="Add webhook" @vigil-close=${() => (this._creating = false)}>
        <form id="webhook-form" @submit=${this.#create} novalidate>
          <label class="field">URL
            <input autofocus type="url" name="url" placeholder="https://example.com/hooks/vigil" .value=${this._url} @input=${(e: Event) => (this._url = (e.target as HTMLInputElement).value)} />
          </label>
          <label class="field">Events
            <input name="events" placeholder="session.*, login.failed" .value=${this._events} @input=${(e: Event) => (this._events = (e.target as HTMLInputElement).value)} />
            <span class="muted hint">Names separated by commas; one ending in * matches every name it starts (session.*, *).</span>
          </label>
          <label class="field">Description
            <input name="description" placeholder="optional" .value=${this._description} @input=${(e: Event) => (this._description = (e.target as HTMLInputElement).value)} />
          </label>
        </form>
        ${this._formError ? html`<div class="banner error" role="alert">${this._formError}</div>` : nothing}
        <button slot="footer" @click=${() => (this._creating = false)}>Cancel</button>
        <button slot="footer" class="primary" ?disabled=${this._busy} @click=${(e: Event) => void this.#create(e)}>Add webhook</button>
      </vigil-dialog>

      <vigil-dialog .open=${!!created} wide heading="Webhook added" @vigil-close=${() => { this._created = null; this._copied = ''; }}>
        ${created
          ? html`<div class="banner warning">This signing secret is shown only once. Keep it with the receiver: it verifies each delivery's webhook-signature with it.</div>
              <label class="field">Signing secret
                <span class="secret"><input readonly data-testid="webhook-secret" .value=${created.secret ?? ''} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
                <button @click=${() => void this.#copy(created.secret ?? '')}>Copy</button></span>
              </label>
              ${this._copied ? html`<div class="banner success" role="status">${this._copied}</div>` : nothing}`
          : nothing}
        <button slot="footer" class="primary" @click=${() => { this._created = null; this._copied = ''; }}>Done</button>
      </vigil-dialog>

      <vigil-dialog .open=${!!this._viewing} wide heading="Deliveries" @vigil-close=${() => { this._viewing = null; this._notice = ''; }}>
        ${this._viewing ? html`<p class="muted url">${this._viewing.url} — newest first</p>` : nothing}
        ${this._notice && this._viewing ? html`<div class="banner success" role="status">${this._notice}</div>` : nothing}
        ${this.#renderDeliveries()}
        <button slot="footer" @click=${() => void this.#loadDeliveries()}>Refresh</button>
        <button slot="footer" class="primary" @click=${() => { this._viewing = null; this._notice = ''; }}>Close</button>
      </vigil-dialog>

      <vigil-confirm-dialog .open=${!!this._removing} heading="Remove webhook" confirm-label="Remove" checkbox-label="Confirm" .busy=${this._busy} .error=${this._formError}
        @vigil-close=${() => (this._removing = null)} @vigil-confirm=${() => void this.#remove()}>
        <p>Remove the webhook to <strong>${this._removing?.url}</strong>? No more events are sent to it, and its delivery log goes.</p>
      </vigil-confirm-dialog>
    `;
  }
}

customElements.define('vigil-webhooks', VigilWebhooks);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-webhooks': VigilWebhooks;
  }
}
