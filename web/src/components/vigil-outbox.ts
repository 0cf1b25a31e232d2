/**
 * Outbox, for admins: every message the realm sent (GET /outbox), newest first, with its
 * delivery status; open one to read it (GET /outbox/{id}). With no SMTP server configured this
 * is where mail goes, so every e-mailed flow can be tried without one. Read again every few
 * seconds while shown: a delivery's outcome changes the status.
 */
import { css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import type { OutboxMessage } from '../../../shared/protocol.js';
import { errorMessage, listOf } from '../lib/api.js';
import { tableTime } from '../lib/format.js';
import { baseStyles } from '../styles/shared-styles.js';
import { RealmPage } from './realm-page.js';
import './vigil-dialog.js';

const REFRESH_MS = 3000;

const STATUS_BADGE: Record<OutboxMessage['status'], string> = { queued: 'warning', sent: 'active', failed: 'danger' };

export class VigilOutbox extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 87.5rem; }
      td.subject button { background: none; border: 0; padding: 0; color: var(--vigil-accent); font: inherit; font-weight: 600; cursor: pointer; text-align: left; }
      td.subject button:hover { text-decoration: underline; }
      pre.body { white-space: pre-wrap; word-break: break-word; font: inherit; margin: 0; padding: 0.875rem; background: var(--vigil-bg); border: 0.0625rem solid var(--vigil-border); border-radius: var(--vigil-radius-sm); }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0 0 1rem; font-size: var(--vigil-text-sm); }
      dt { color: var(--vigil-text-muted); }
      dd { margin: 0; }
    `,
  ];

  @state() _messages: OutboxMessage[] | null = null;
  @state() _error = '';
  @state() _open: OutboxMessage | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

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
      this._messages = listOf<OutboxMessage>(await this.api.get<unknown>('/outbox'), 'messages');
      this._error = '';
    } catch (e) {
      this._error = errorMessage(e, 'The outbox could not be loaded.');
    }
  }

  async #read(m: OutboxMessage): Promise<void> {
    this._open = m;
    try {
      this._open = (await this.api.get<{ message: OutboxMessage }>(`/outbox/${encodeURIComponent(m.id)}`)).message;
    } catch (e) {
      this._error = errorMessage(e, 'The message could not be loaded.');
    }
  }

  override render() {
    const list = this._messages;
    const m = this._open;
    return html`
      <div class="page-title"><h1>Outbox</h1><span class="muted">mail sent from realm <strong>${this.realm}</strong>, newest first</span></div>
      <section class="card">
        <div class="card-header"><h2>Messages</h2>${list ? html`<span class="muted" data-testid="message-count">${list.length} messages</span>` : nothing}</div>
        ${this._error ? html`<div class="card-body"><div class="banner error" role="alert">${this._error}</div></div>` : nothing}
        ${list === null && !this._error
          ? html`<div class="empty"><div class="spinner"></div><span>Loading the outbox…</span></div>`
          : list && list.length === 0
            ? html`<div class="empty"><strong>No mail yet</strong><span>Reset-password, verify-e-mail and actions e-mails show here. Without an SMTP server (VIGIL_SMTP_URL) they stay here, queued.</span></div>`
            : html`<table class="data">
                <thead><tr><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Queued</th></tr></thead>
                <tbody>${(list ?? []).map((x) => html`<tr data-message=${x.id}>
                  <td>${x.to}</td>
                  <td class="subject"><button @click=${() => void this.#read(x)} aria-label="Read ${x.subject} to ${x.to}">${x.subject}</button></td>
                  <td><span class="badge ${STATUS_BADGE[x.status]}" title=${x.error ?? ''}>${x.status}</span></td>
                  <td>${x.attempts}</td>
                  <td>${tableTime(x.createdAt)}</td>
                </tr>`)}</tbody>
              </table>`}
      </section>
      <vigil-dialog .open=${!!m} wide heading=${m?.subject ?? ''} @vigil-close=${() => (this._open = null)}>
        ${m
          ? html`<dl>
              <dt>To</dt><dd>${m.to}</dd>
              <dt>Status</dt><dd>${m.status}${m.attempts ? ` after ${m.attempts} attempt${m.attempts === 1 ? '' : 's'}` : ''}${m.error ? ` — ${m.error}` : ''}</dd>
              <dt>Queued</dt><dd>${tableTime(m.createdAt)}</dd>
            </dl>
            <pre class="body" data-testid="message-text">${m.text}</pre>`
          : nothing}
        <button slot="footer" @click=${() => (this._open = null)}>Close</button>
      </vigil-dialog>
    `;
  }
}

customElements.define('vigil-outbox', VigilOutbox);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-outbox': VigilOutbox;
  }
}
