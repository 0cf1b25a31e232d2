/**
 * The Access view (TrueNAS's Access card, made live): every active session with its user,
 * kind, client, start, last activity, a live countdown to expiry, a state badge and origin.
 * Sessions appear, turn to warning and leave as events arrive; the list is virtualised so
 * 10,000 rows stay smooth. Admins (and users, for their own sessions) can terminate one
 * session or all others, each after a confirmation checkbox; the caller's current session
 * cannot be terminated here.
 *
 * Admins and viewers get the realm's `sessions` stream; a `user` sees only their own
 * sessions, which the API lists (refreshed every 5 s) since the stream needs the viewer role.
 *
 * @fires vigil-navigate - Configure was chosen; detail `{path: '/settings'}`
 * @csspart table - the table container
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import '@lit-labs/virtualizer';
import { humanizeSeconds } from '../../../shared/duration.js';
import type { MeResponse, Session, SessionKind, SessionState, VigilEvent } from '../../../shared/protocol.js';
import { SESSION_KINDS } from '../../../shared/protocol.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { ApiError, VigilApi, busyCall, errorMessage, listOf } from '../lib/api.js';
import { SessionStore, SessionView, deviceName, deviceTypeLabel, type SessionFilter, type SessionSort, type SortKey } from '../lib/session-store.js';
import { tableTime } from '../lib/format.js';
import { baseStyles } from '../styles/shared-styles.js';
import './vigil-confirm-dialog.js';
import './vigil-connection-badge.js';
import './vigil-countdown.js';
import { emit } from '../events.js';

const COLUMNS: Array<{ key: SortKey | null; label: string }> = [
  { key: 'user', label: 'User' },
  { key: 'kind', label: 'Kind' },
  { key: 'client', label: 'Client' },
  { key: 'createdAt', label: 'Started' },
  { key: 'lastActivityAt', label: 'Last activity' },
  { key: 'expiresAt', label: 'Expires in' },
  { key: 'state', label: 'State' },
  { key: null, label: 'Origin' },
];

const CURRENT_EXPLANATION = 'This session is current and cannot be terminated';

export class VigilAccess extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: flex; flex-direction: column; height: 100%; min-height: 0; gap: var(--vigil-space-4); }
      .head { display: flex; align-items: center; gap: var(--vigil-space-4); flex-wrap: wrap; }
      .head h1 { font-size: var(--vigil-text-xl); }
      .head .spacer { flex: 1; }
      .lifetime { display: flex; align-items: center; gap: 0.625rem; padding: 0.375rem 0.375rem 0.375rem 0.875rem; border: 0.0625rem solid var(--vigil-border); border-radius: var(--vigil-radius); background: var(--vigil-surface); font-size: var(--vigil-text-sm); }
      .lifetime strong { font-weight: 650; }
      .card { display: flex; flex-direction: column; flex: 1; min-height: 22.5rem; overflow-x: auto; overflow-y: hidden; }
      .toolbar { display: flex; gap: var(--vigil-space-3); align-items: end; padding: var(--vigil-space-4) var(--vigil-space-5); border-bottom: 0.0625rem solid var(--vigil-border); flex-wrap: wrap; }
      .toolbar label.field { font-size: var(--vigil-text-xs); text-transform: uppercase; letter-spacing: 0.04em; color: var(--vigil-text-muted); }
      .toolbar .user-filter { width: 15rem; }
      .toolbar select { width: 9.375rem; }
      .toolbar .count { margin-left: auto; font-size: var(--vigil-text-sm); color: var(--vigil-text-muted); align-self: center; }
      .grid { display: grid; grid-template-columns: var(--access-columns); align-items: center; column-gap: 0.625rem; padding: 0 var(--vigil-space-4); min-width: 62.5rem; }
      :host { --access-columns: minmax(7.5rem, 1.3fr) 4.5rem minmax(4.5rem, 0.8fr) minmax(7.375rem, 0.9fr) minmax(7.375rem, 0.9fr) 6rem 6.25rem minmax(9.375rem, 1.7fr) 3.25rem; }
      :host([readonly]) { --access-columns: minmax(7.5rem, 1.3fr) 4.5rem minmax(4.5rem, 0.8fr) minmax(7.375rem, 0.9fr) minmax(7.375rem, 0.9fr) 6rem 6.25rem minmax(9.375rem, 1.7fr); }
      .thead { min-height: 2.625rem; background: var(--vigil-surface-2); border-bottom: 0.0625rem solid var(--vigil-border); }
      .thead > * { font-size: var(--vigil-text-xs); text-transform: uppercase; letter-spacing: 0.05em; color: var(--vigil-text-muted); font-weight: 650; }
      .thead > * { white-space: nowrap; }
      .thead button { all: unset; cursor: pointer; display: inline-flex; white-space: nowrap; gap: 0.25rem; align-items: center; border-radius: 0.25rem; padding: 0.125rem 0; }
      .thead button:focus-visible { box-shadow: var(--vigil-focus); }
      .thead .arrow { opacity: 0.35; font-size: 0.625rem; }
      .thead [aria-sort='ascending'] .arrow, .thead [aria-sort='descending'] .arrow { opacity: 1; color: var(--vigil-accent); }
      lit-virtualizer { flex: 1; min-height: 0; width: 100%; }
      lit-virtualizer:focus-visible { outline: none; box-shadow: inset var(--vigil-focus); }
      .plain { flex: 1; overflow: auto; }
      .row { height: var(--vigil-row-height); border-bottom: 0.0625rem solid var(--vigil-border); font-size: var(--vigil-text-sm); width: 100%; background: var(--vigil-surface); }
      .row:hover { background: var(--vigil-surface-hover); }
      .row.warning { background: #fffaf0; box-shadow: inset 0.1875rem 0 0 var(--vigil-warning); }
      .row.current { box-shadow: inset 0.1875rem 0 0 var(--vigil-accent); }
      .row.warning.current { box-shadow: inset 0.1875rem 0 0 var(--vigil-warning); }
      .cell { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
      .user { font-weight: 600; display: flex; flex-direction: column; gap: 0.125rem; align-items: flex-start; justify-content: center; }
      .user .name { overflow: hidden; text-overflow: ellipsis; max-width: 100%; }
      .tag { font-size: 0.625rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.05em; padding: 0.0625rem 0.375rem; border-radius: 0.25rem; line-height: 1.4; background: var(--vigil-accent-soft); color: var(--vigil-accent); flex: none; }
      .kind { font-family: var(--vigil-font-mono); font-size: var(--vigil-text-xs); color: var(--vigil-text-muted); }
      .origin { display: grid; line-height: 1.25; }
      .origin .ip { font-family: var(--vigil-font-mono); font-size: var(--vigil-text-xs); }
      .origin .ua { color: var(--vigil-text-muted); font-size: var(--vigil-text-xs); overflow: hidden; text-overflow: ellipsis; }
      .origin .ua svg { width: 0.75rem; height: 0.75rem; vertical-align: -0.125rem; margin-right: 0.25rem; }
      .action { text-align: right; position: relative; }
      .logout { width: 2.125rem; min-height: 2rem; padding: 0; color: var(--vigil-danger); }
      .logout[aria-disabled='true'] { color: var(--vigil-text-faint); cursor: not-allowed; background: var(--vigil-surface-2); }
      .logout svg { width: 1rem; height: 1rem; }
      .tip { position: absolute; right: 2.75rem; top: 50%; transform: translateY(-50%); background: var(--vigil-text); color: #fff; font-size: var(--vigil-text-xs); padding: 0.375rem 0.625rem; border-radius: 0.375rem; white-space: nowrap; pointer-events: none; opacity: 0; transition: opacity 120ms; z-index: 2; }
      .action:hover .tip, .action:focus-within .tip { opacity: 1; }
      .state-empty { flex: 1; display: grid; place-items: center; }
      .toast { position: fixed; left: 50%; bottom: 1.5rem; transform: translateX(-50%); background: var(--vigil-text); color: #fff; padding: 0.625rem 1.125rem; border-radius: var(--vigil-radius); box-shadow: var(--vigil-shadow-lg); font-size: var(--vigil-text-sm); z-index: 10; }
      dl.detail { display: grid; grid-template-columns: auto 1fr; gap: 0.375rem 1rem; margin: 0; font-size: var(--vigil-text-sm); }
      dl.detail dt { color: var(--vigil-text-muted); }
      dl.detail dd { margin: 0; font-weight: 600; }
    `,
  ];

  readonly #conn = new ConnectionController(this);

  /** The store the view renders; the live stream (or the benchmark) feeds it. */
  readonly store = new SessionStore();

  @state() _filter: SessionFilter = { user: '', kind: '', state: '' };
  @state() _sort: SessionSort = { key: 'createdAt', dir: 'desc' };
  @state() _loading = true;
  @state() _error = '';
  @state() _target: Session | null = null;
  @state() _confirmOthers = false;
  @state() _busy = false;
  @state() _dialogError = '';
  @state() _toast = '';
  readonly #view = new SessionView(this.store);
  #rows: Session[] = [];
  #rowsKey = '';
  #pending: VigilEvent[] | null = null;
  #poll: ReturnType<typeof setInterval> | null = null;
  #toastTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #failDialog = (message: string) => (this._dialogError = message);

  /** The caller (`GET /me`). */
  @property({ attribute: false }) me: MeResponse | null = null;
  /** The realm. */
  @property({ type: String }) realm = 'default';
  /** Whether to connect to the server; false lets a harness drive `store` directly. */
  @property({ type: Boolean }) live = true;
  /** Renders every row without virtualisation (the benchmark's baseline only). */
  @property({ type: Boolean }) plain = false;
  /** Reflects whether the caller can terminate sessions. */
  @property({ type: Boolean, reflect: true }) readonly: boolean = false;

  constructor() {
    super();
    this.store.onChange((events) => {
      this._loading = false;
      // a snapshot forces a rebuild; event batches are merged into the view incrementally
      if (events === null) this.#rowsKey = '';
      else if (this.#pending) this.#pending.push(...events);
      else this.#pending = [...events];
      this.requestUpdate();
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopPolling();
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('me') || changed.has('realm') || changed.has('live')) this.#connect();
    const roles = this.me?.user.roles ?? [];
    this.readonly = !(roles.includes('admin') || roles.includes('user'));
    const key = `${this._filter.user}|${this._filter.kind}|${this._filter.state}|${this._sort.key}|${this._sort.dir}`;
    if (key !== this.#rowsKey) {
      this.#rowsKey = key;
      this.#view.rebuild(this._filter, this._sort);
    } else if (this.#pending) {
      this.#view.update(this.#pending);
    }
    this.#pending = null;
    this.#rows = this.#view.rows;
  }

  get #api(): VigilApi {
    return new VigilApi({ realm: this.realm });
  }

  get #isViewer(): boolean {
    const roles = this.me?.user.roles ?? [];
    return roles.includes('admin') || roles.includes('viewer');
  }

  get #currentId(): string | null {
    return this.#conn.connection?.sessionId ?? this.me?.session?.id ?? null;
  }

  #connect(): void {
    this.#stopPolling();
    if (!this.live || !this.me) {
      this.#conn.close();
      return;
    }
    if (this.#isViewer) {
      this.#conn.open(
        { realm: this.realm },
        {
          sessions: {
            // only what changed: an activity event is ~315 bytes instead of ~640 (the store merges)
            subscribe: { detail: 'changes' },
            snapshot: (sessions) => this.store.reset(sessions),
            events: (events) => this.store.apply(events),
          },
        },
      );
    } else {
      // The `sessions` stream needs the viewer role: list own sessions over REST instead.
      this.#conn.close();
      void this.#loadOwn();
      this.#poll = setInterval(() => void this.#loadOwn(), 5_000);
    }
  }

  async #loadOwn(): Promise<void> {
    try {
      const body = await this.#api.get<unknown>('/sessions?limit=1000');
      this.store.reset(listOf<Session>(body, 'sessions'));
      this._error = '';
    } catch (e) {
      this._error = errorMessage(e, 'The sessions could not be loaded.');
      this._loading = false;
    }
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }

  #setSort(key: SortKey): void {
    this._sort = this._sort.key === key ? { key, dir: this._sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: key === 'createdAt' || key === 'lastActivityAt' ? 'desc' : 'asc' };
  }

  #setFilter(patch: Partial<SessionFilter>): void {
    this._filter = { ...this._filter, ...patch };
  }

  #askTerminate(s: Session): void {
    if (s.id === this.#currentId) return;
    this._dialogError = '';
    this._target = s;
  }

  async #terminate(): Promise<void> {
    const s = this._target;
    if (!s) return;
    await busyCall(this, async () => {
      await this.#api.delete(`/sessions/${encodeURIComponent(s.id)}`);
      this._target = null;
      this.#showToast(`Terminated the ${s.kind} session of ${s.user.username}.`);
      if (!this.#isViewer) void this.#loadOwn();
    }, this.#failDialog, (e) => (e instanceof ApiError && e.code === 'VIGIL_ERR_NOT_FOUND' ? 'This session has already ended.' : errorMessage(e, 'Failed.')));
  }

  async #terminateOthers(): Promise<void> {
    await busyCall(this, async () => {
      const r = await this.#api.post<{ terminated: number }>('/sessions/terminate-others');
      this._confirmOthers = false;
      const n = r?.terminated ?? 0;
      this.#showToast(n === 0 ? 'There were no other sessions to terminate.' : `Terminated ${n} other session${n === 1 ? '' : 's'}.`);
      if (!this.#isViewer) void this.#loadOwn();
    }, this.#failDialog);
  }

  #showToast(text: string): void {
    this._toast = text;
    if (this.#toastTimer) clearTimeout(this.#toastTimer);
    this.#toastTimer = setTimeout(() => (this._toast = ''), 4000);
  }

  #configure(): void {
    emit(this, 'vigil-navigate', { path: '/settings' });
  }

  #renderRow = (s: Session) => {
    const current = s.id === this.#currentId;
    const skew = this.#conn.connection?.skewMs ?? 0;
    return html`
      <div class="row grid ${s.state} ${current ? 'current' : ''}" role="row" data-session-id=${s.id} data-user=${s.user.username}>
        <div class="cell user" role="cell"><span class="name">${s.user.username}</span>${current ? html`<span class="tag">Current</span>` : nothing}</div>
        <div class="cell kind" role="cell">${s.kind}</div>
        <div class="cell" role="cell">${s.clientId ?? html`<span class="muted">—</span>`}</div>
        <div class="cell" role="cell" title=${s.createdAt}>${tableTime(s.createdAt)}</div>
        <div class="cell" role="cell" title=${s.lastActivityAt}>${tableTime(s.lastActivityAt)}</div>
        <div class="cell" role="cell" title=${`Expires at ${s.expiresAt}`}><vigil-countdown .deadline=${Date.parse(s.expiresAt)} .skew=${skew}></vigil-countdown></div>
        <div class="cell" role="cell"><span class="badge ${s.state}">${s.state}</span></div>
        <div class="cell origin" role="cell"><span class="ip">${s.origin?.ip ?? '—'}</span>${renderDevice(s.origin)}</div>
        ${this.readonly
          ? nothing
          : html`<div class="cell action" role="cell">
              ${current
                ? html`<button class="logout" aria-disabled="true" data-action="terminate" aria-label="Terminate session: ${CURRENT_EXPLANATION}">${LOGOUT_ICON}</button>
                    <span class="tip" aria-hidden="true">${CURRENT_EXPLANATION}</span>`
                : html`<button class="logout" data-action="terminate" aria-label="Terminate the session of ${s.user.username}" title="Terminate session" @click=${() => this.#askTerminate(s)}>${LOGOUT_ICON}</button>`}
            </div>`}
      </div>
    `;
  };

  #renderBody() {
    if (this._loading && this.store.size === 0) {
      return html`<div class="state-empty"><div class="empty"><div class="spinner" aria-hidden="true"></div><span>Loading sessions…</span></div></div>`;
    }
    if (this._error && this.store.size === 0) {
      return html`<div class="state-empty"><div class="empty"><strong>The sessions could not be loaded</strong><span>${this._error}</span></div></div>`;
    }
    if (this.#rows.length === 0) {
      const filtered = this._filter.user || this._filter.kind || this._filter.state;
      return html`<div class="state-empty"><div class="empty">
        <strong>${filtered ? 'No sessions match these filters' : 'No active sessions'}</strong>
        <span>${filtered ? 'Clear the filters to see every session.' : 'New sessions appear here the moment they start.'}</span>
      </div></div>`;
    }
    if (this.plain) {
      return html`<div class="plain" role="rowgroup">${this.#rows.map((s) => this.#renderRow(s))}</div>`;
    }
    return html`<lit-virtualizer role="rowgroup" tabindex="0" aria-label="Sessions; use the arrow and Page keys to scroll" scroller .items=${this.#rows} .keyFunction=${(s: Session) => s.id} .renderItem=${this.#renderRow}></lit-virtualizer>`;
  }

  override render() {
    const roles = this.me?.user.roles ?? [];
    const currentSession = (this.#currentId && this.store.sessions.get(this.#currentId)) || this.me?.session;
    const lifetime = currentSession?.kind === 'console' ? currentSession.idleTimeout : (this.me?.user.tokenLifetime ?? 0);
    const total = this.store.size;
    const sortState = (key: SortKey | null) => (key && this._sort.key === key ? (this._sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    return html`
      <div class="head">
        <h1>Access</h1>
        ${this.#isViewer && this.live ? html`<vigil-connection-badge .state=${this.#conn.state}></vigil-connection-badge>` : nothing}
        <span class="spacer"></span>
        <div class="lifetime" aria-label="Token lifetime of the current session">
          <span class="muted">Token Lifetime</span>
          <strong data-testid="token-lifetime" title="${lifetime} seconds">${humanizeSeconds(lifetime)}</strong>
          <button class="small" @click=${this.#configure}>Configure</button>
        </div>
        ${this.readonly
          ? nothing
          : html`<button class="danger" @click=${() => { this._dialogError = ''; this._confirmOthers = true; }}>Terminate Other Sessions</button>`}
      </div>

      <section class="card" part="table" role="table" aria-label="Active sessions" aria-rowcount=${this.#rows.length + 1}>
        <div class="toolbar" role="search">
          <label class="field">User
            <input class="user-filter" type="search" placeholder="Filter by username" .value=${this._filter.user ?? ''}
              @input=${(e: Event) => this.#setFilter({ user: (e.target as HTMLInputElement).value })} />
          </label>
          <label class="field">Kind
            <select @change=${(e: Event) => this.#setFilter({ kind: (e.target as HTMLSelectElement).value as SessionKind | '' })}>
              <option value="">All kinds</option>
              ${SESSION_KINDS.map((k) => html`<option value=${k} ?selected=${this._filter.kind === k}>${k}</option>`)}
            </select>
          </label>
          <label class="field">State
            <select @change=${(e: Event) => this.#setFilter({ state: (e.target as HTMLSelectElement).value as SessionState | '' })}>
              <option value="">All states</option>
              <option value="active" ?selected=${this._filter.state === 'active'}>Active</option>
              <option value="warning" ?selected=${this._filter.state === 'warning'}>Warning</option>
            </select>
          </label>
          <span class="count" role="status" data-testid="session-count">
            ${this.#rows.length === total ? `${total.toLocaleString()} session${total === 1 ? '' : 's'}` : `${this.#rows.length.toLocaleString()} of ${total.toLocaleString()} sessions`}
            ${roles.includes('admin') || roles.includes('viewer') ? '' : ' (yours)'}
          </span>
        </div>
        <div class="thead grid" role="row">
          ${COLUMNS.map((c) => html`<div role="columnheader" aria-sort=${sortState(c.key)}>
            ${c.key
              ? html`<button @click=${() => this.#setSort(c.key!)}>${c.label}<span class="arrow" aria-hidden="true">${this._sort.key === c.key && this._sort.dir === 'asc' ? '▲' : '▼'}</span></button>`
              : c.label}
          </div>`)}
          ${this.readonly ? nothing : html`<div role="columnheader" style="text-align:right">Logout</div>`}
        </div>
        ${this.#renderBody()}
      </section>

      <vigil-confirm-dialog .open=${!!this._target} heading="Terminate session" confirm-label="Terminate" checkbox-label="Confirm"
        .busy=${this._busy} .error=${this._dialogError} @vigil-close=${() => (this._target = null)} @vigil-confirm=${() => void this.#terminate()}>
        ${this._target
          ? html`<p>The session will end at once and its browser returns to the sign-in page.</p>
              <dl class="detail">
                <dt>User</dt><dd>${this._target.user.username}</dd>
                <dt>Kind</dt><dd>${this._target.kind}${this._target.clientId ? ` · ${this._target.clientId}` : ''}</dd>
                <dt>Started</dt><dd>${tableTime(this._target.createdAt)}</dd>
                <dt>Origin</dt><dd>${this._target.origin?.ip ?? '—'}</dd>
                <dt>Device</dt><dd class="device">${deviceName(this._target.origin)}${deviceTypeLabel(this._target.origin) ? ` · ${deviceTypeLabel(this._target.origin)}` : ''}</dd>
              </dl>`
          : nothing}
      </vigil-confirm-dialog>

      <vigil-confirm-dialog .open=${this._confirmOthers} heading="Terminate Other Sessions" confirm-label="Terminate Other Sessions" checkbox-label="Confirm"
        .busy=${this._busy} .error=${this._dialogError} @vigil-close=${() => (this._confirmOthers = false)} @vigil-confirm=${() => void this.#terminateOthers()}>
        <p>${roles.includes('admin')
          ? 'Every session in this realm except this one will be terminated. Their users return to the sign-in page.'
          : 'All your other sessions will be terminated. This session stays signed in.'}</p>
      </vigil-confirm-dialog>

      ${this._toast ? html`<div class="toast" role="status">${this._toast}</div>` : nothing}
    `;
  }
}

// feather-style outlines, one per device type that has a well-known shape; others get no icon
const DEVICE_ICONS: Partial<Record<string, ReturnType<typeof html>>> = {
  desktop: html`<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="2" y="3" width="20" height="14" rx="2"/><line x1="8" y1="21" x2="16" y2="21"/><line x1="12" y1="17" x2="12" y2="21"/></svg>`,
  mobile: html`<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="5" y="2" width="14" height="20" rx="2"/><line x1="12" y1="18" x2="12.01" y2="18"/></svg>`,
  tablet: html`<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="4" y="2" width="16" height="20" rx="2"/><line x1="12" y1="18" x2="12.01" y2="18"/></svg>`,
};

/** The device cell's text: an icon for its type (named in the tooltip), "Chrome 131 on Windows 10", the raw user agent on hover. */
function renderDevice(origin: Session['origin'] | undefined) {
  const type = deviceTypeLabel(origin);
  const title = [type, origin?.userAgent].filter(Boolean).join(' · ');
  return html`<span class="ua" title=${title} data-device-type=${origin?.device?.type ?? ''}>${(origin?.device?.type && DEVICE_ICONS[origin.device.type]) || nothing}<span class="device-name">${deviceName(origin)}</span></span>`;
}

const LOGOUT_ICON = html`<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/><polyline points="16 17 21 12 16 7"/><line x1="21" y1="12" x2="9" y2="12"/></svg>`;

customElements.define('vigil-access', VigilAccess);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-access': VigilAccess;
  }
}
