/**
 * Events, for viewers and admins: the realm's recorded events (GET /events), oldest first,
 * filtered by time range, name (a trailing * matches a prefix: `session.*`), user and session,
 * a page at a time by the server's cursor; and Export NDJSON / Export CSV, which download the
 * whole filtered selection as the server streams it (a plain link with `download`: the browser
 * writes it to disk as it arrives, nothing is held in the page). Admins also see the events
 * about credentials (login.failed, token.*); the server leaves them out for viewers.
 */
import { css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import type { VigilEvent } from '../../../shared/protocol.js';
import { errorMessage } from '../lib/api.js';
import { EVENT_RANGES, eventQuery, type EventFilters, type EventRange } from '../lib/event-query.js';
import { tableTime } from '../lib/format.js';
import { baseStyles } from '../styles/shared-styles.js';
import { RealmPage } from './realm-page.js';

/** Events per page of the table. */
export const PAGE_SIZE = 50;

/** Who an event is about: its session's user, else the user it names. */
function userOf(e: VigilEvent): string {
  const named = (e.data as { username?: unknown }).username;
  return e.session?.user.username ?? (typeof named === 'string' ? named : '—');
}

export class VigilEvents extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 87.5rem; }
      .results { margin-top: 1.25rem; }
      form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.875rem; align-items: end; }
      form.filters .buttons { display: flex; gap: 0.5rem; }
      .exports { display: flex; gap: 0.5rem; }
      td.data { max-width: 32rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      td.name { white-space: nowrap; }
      .pager .muted { font-size: var(--vigil-text-sm); }
      .pager { display: flex; gap: 0.5rem; align-items: center; justify-content: flex-end; padding: 0.75rem 1rem; border-top: 0.0625rem solid var(--vigil-border); }
      input[type='datetime-local'] { font: inherit; min-height: 2.375rem; padding: 0 0.5rem; border-radius: var(--vigil-radius-sm); border: 0.0625rem solid var(--vigil-border-strong); background: var(--vigil-surface); color: var(--vigil-text); width: 100%; }
    `,
  ];

  @state() _draft: EventFilters = { range: '24h', from: '', to: '', name: '', user: '', sessionId: '' };
  /** The query of the filters last applied (what the table and the exports show). */
  @state() _query = eventQuery(this._draft);
  @state() _events: VigilEvent[] | null = null;
  @state() _error = '';
  @state() _loading = false;
  /** The cursor each page shown so far started from (null: the first); the last is the current page's. */
  @state() _cursors: Array<string | null> = [null];
  @state() _next: string | null = null;

  protected override async load(): Promise<void> {
    await this.#fetch(this._cursors[this._cursors.length - 1] ?? null);
  }

  async #fetch(cursor: string | null): Promise<void> {
    this._loading = true;
    try {
      const q = new URLSearchParams(this._query);
      q.set('limit', String(PAGE_SIZE));
      if (cursor) q.set('cursor', cursor);
      const body = await this.api.get<{ events: VigilEvent[]; nextCursor: string | null }>(`/events?${q}`);
      this._events = body.events;
      this._next = body.nextCursor;
      this._error = '';
    } catch (e) {
      this._error = errorMessage(e, 'The events could not be loaded.');
    } finally {
      this._loading = false;
    }
  }

  #apply(e: Event): void {
    e.preventDefault();
    this._query = eventQuery(this._draft);
    this._cursors = [null];
    void this.#fetch(null);
  }

  #set<K extends keyof EventFilters>(field: K, value: EventFilters[K]): void {
    this._draft = { ...this._draft, [field]: value };
  }

  #nextPage(): void {
    if (!this._next) return;
    this._cursors = [...this._cursors, this._next];
    void this.#fetch(this._next);
  }

  #previousPage(): void {
    if (this._cursors.length < 2) return;
    this._cursors = this._cursors.slice(0, -1);
    void this.#fetch(this._cursors[this._cursors.length - 1] ?? null);
  }

  /** The download link of the applied filters in a format. */
  #exportUrl(format: 'ndjson' | 'csv'): string {
    const q = new URLSearchParams(this._query);
    q.set('format', format);
    return `/api/v1/realms/${encodeURIComponent(this.realm)}/events?${q}`;
  }

  #renderFilters() {
    const d = this._draft;
    const text = (field: 'name' | 'user' | 'sessionId', label: string, placeholder: string) => html`<label class="field">${label}
      <input type="text" name=${field} .value=${d[field]} placeholder=${placeholder} @input=${(e: Event) => this.#set(field, (e.target as HTMLInputElement).value)} /></label>`;
    return html`<form class="filters" @submit=${this.#apply} aria-label="Event filters">
      <label class="field">Time range
        <select name="range" @change=${(e: Event) => this.#set('range', (e.target as HTMLSelectElement).value as EventRange)}>
          ${EVENT_RANGES.map((r) => html`<option value=${r.value} ?selected=${d.range === r.value}>${r.label}</option>`)}
        </select></label>
      ${d.range === 'custom'
        ? html`<label class="field">From<input type="datetime-local" step="1" name="from" .value=${d.from} @input=${(e: Event) => this.#set('from', (e.target as HTMLInputElement).value)} /></label>
            <label class="field">To<input type="datetime-local" step="1" name="to" .value=${d.to} @input=${(e: Event) => this.#set('to', (e.target as HTMLInputElement).value)} /></label>`
        : nothing}
      ${text('name', 'Event', 'session.* or login.failed')}
      ${text('user', 'User', 'username')}
      ${text('sessionId', 'Session', 's_…')}
      <div class="buttons"><button class="primary" type="submit">Apply</button></div>
    </form>`;
  }

  override render() {
    const list = this._events;
    const page = this._cursors.length;
    return html`
      <div class="page-title"><h1>Events</h1><span class="muted">the realm's recorded history, oldest first</span></div>
      <section class="card">
        <div class="card-header"><h2>Filters</h2>
          <div class="exports">
            <a class="btn" href=${this.#exportUrl('ndjson')} download data-testid="export-ndjson">Export NDJSON</a>
            <a class="btn" href=${this.#exportUrl('csv')} download data-testid="export-csv">Export CSV</a>
          </div>
        </div>
        <div class="card-body">${this.#renderFilters()}</div>
      </section>
      <section class="card results" aria-busy=${this._loading ? 'true' : 'false'}>
        <div class="card-header"><h2>Events</h2>${list ? html`<span class="muted" data-testid="event-count">${list.length} on page ${page}</span>` : nothing}</div>
        ${this._error ? html`<div class="card-body"><div class="banner error" role="alert">${this._error}</div></div>` : nothing}
        ${list === null && !this._error
          ? html`<div class="empty"><div class="spinner"></div><span>Loading events…</span></div>`
          : list && list.length === 0
            ? html`<div class="empty"><strong>No events</strong><span>Nothing recorded matches these filters${page > 1 ? ' on this page' : ''}.</span></div>`
            : html`<table class="data">
                <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">Session</th><th scope="col">Details</th></tr></thead>
                <tbody>${(list ?? []).map((e) => html`<tr data-event=${e.id}>
                  <td title=${e.at}>${tableTime(e.at)}</td><td class="name"><strong>${e.name}</strong></td><td>${userOf(e)}</td>
                  <td class="mono">${e.sessionId ?? '—'}</td><td class="data mono" title=${JSON.stringify(e.data)}>${JSON.stringify(e.data)}</td>
                </tr>`)}</tbody>
              </table>`}
        <div class="pager">
          <button class="small" ?disabled=${page < 2 || this._loading} @click=${() => this.#previousPage()}>Previous page</button>
          <span class="muted">Page ${page}</span>
          <button class="small" ?disabled=${!this._next || this._loading} @click=${() => this.#nextPage()}>Next page</button>
        </div>
      </section>
    `;
  }
}

customElements.define('vigil-events', VigilEvents);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-events': VigilEvents;
  }
}
