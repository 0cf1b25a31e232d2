/**
 * The session guard for any app page: `<script type="module" src="/vigil-guard.js">` then
 * `<vigil-session-guard>`. It subscribes to the caller's own session (`self`), reports user
 * interaction as activity (throttled, and never while the prompt is open), and when the
 * server warns opens the **Logout** dialog: the lifetime that was exceeded, the clock time
 * the session will be terminated with a live countdown, Extend Session, Log out and
 * Configure. Every tab gets the same server-side warning, and an extend anywhere closes the
 * prompt everywhere (`session.extended`). When the session ends it goes to the sign-in page
 * with the reason. A lost connection is shown, in the prompt and as a corner notice.
 *
 * Configure first extends the session (the user is plainly present) and then opens the
 * Token Settings, so that the session does not end while they are being edited.
 *
 * `hold(promise)` keeps the session alive while work the user started runs without them
 * touching the page (a long upload, an export): while any held promise is pending, activity is
 * reported once per `activity-interval`, as if they were interacting (TrueNAS pauses its timer
 * for a running job the same way). When the last one settles, the session idles out as usual.
 *
 * @fires vigil-configure - Configure was chosen (cancelable; default: go to `configure-url`)
 * @fires vigil-session-end - the session ended; detail `{code, message}` (cancelable;
 *   default: go to `sign-in-url?ended=<code>`)
 * @csspart notice - the lost-connection notice
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { humanizeSeconds } from '../../../shared/duration.js';
import type { Session, VigilEvent } from '../../../shared/protocol.js';
import { FINAL_EVENTS } from '../../../shared/protocol.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { ApiError, VigilApi, storedRealm } from '../lib/api.js';
import { clockTime } from '../lib/format.js';
import { endCodeOf, endMessage, type EndCode } from '../lib/session-end.js';
import { ensureTokens } from '../styles/tokens.js';
import { baseStyles } from '../styles/shared-styles.js';
import './vigil-dialog.js';
import './vigil-countdown.js';
import './vigil-connection-badge.js';
import { emit } from '../events.js';

const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'pointermove'] as const;

interface Warning {
  reason: 'idle' | 'max';
  expiresAt: number;
  idleTimeout: number;
}

export class VigilSessionGuard extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: contents; }
      .lede { font-size: var(--vigil-text-md); }
      .facts { display: grid; grid-template-columns: auto 1fr; gap: 0.5rem 1.125rem; margin: 0; padding: 0.875rem 1rem; border-radius: var(--vigil-radius-sm); background: var(--vigil-surface-2); border: 0.0625rem solid var(--vigil-border); }
      .facts dt { color: var(--vigil-text-muted); font-size: var(--vigil-text-sm); }
      .facts dd { margin: 0; font-weight: 600; }
      .big { font-size: 2.25rem; font-weight: 700; line-height: 1; }
      .status-line { display: flex; justify-content: space-between; align-items: center; gap: 0.75rem; }
      .notice {
        position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; display: flex; gap: 0.625rem; align-items: center;
        padding: 0.625rem 0.875rem; border-radius: var(--vigil-radius); background: var(--vigil-text); color: #fff;
        box-shadow: var(--vigil-shadow-lg); font-size: var(--vigil-text-sm); max-width: 26.25rem;
      }
    `,
  ];

  readonly #conn = new ConnectionController(this);

  @state() _session: Session | null = null;
  @state() _warning: Warning | null = null;
  @state() _busy = false;
  @state() _error = '';
  #lastActivity = 0;
  #ended = false;
  /** Promises held (hold()) and not yet settled. */
  #holds = 0;
  #holdTimer: ReturnType<typeof setInterval> | null = null;
  readonly #base = new URL(import.meta.url).origin;
  readonly #onInteraction = () => this.#reportActivity();
  readonly #onClosed = () => void this.#checkStillSignedIn();

  /** Realm of the session; defaults to the one the dashboard remembers, else `default`. */
  @property({ type: String }) realm = '';
  /** A session token (apps that keep their own sign-in) or an OIDC access token (apps that sign in through Vigil's OpenID Connect provider); omit to use the Vigil cookie. */
  @property({ type: String }) token = '';
  /** Where to go when the session ends (`?ended=<code>` is appended). */
  @property({ type: String, attribute: 'sign-in-url' }) signInUrl = '/';
  /** Where Configure leads when nobody handles `vigil-configure` (default: Vigil's Token Settings). */
  @property({ type: String, attribute: 'configure-url' }) configureUrl = '';
  /** Minimum seconds between two activity reports. */
  @property({ type: Number, attribute: 'activity-interval' }) activityInterval = 10;
  /** Hides the corner notice (a page that shows the connection state itself). */
  @property({ type: Boolean, attribute: 'hide-connection' }) hideConnection = false;

  override connectedCallback(): void {
    super.connectedCallback();
    ensureTokens();
    for (const t of ACTIVITY_EVENTS) document.addEventListener(t, this.#onInteraction, { capture: true, passive: true });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const t of ACTIVITY_EVENTS) document.removeEventListener(t, this.#onInteraction, { capture: true });
    this.#conn.connection?.removeEventListener('closed', this.#onClosed);
    this.#stopHoldTimer();
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('realm') || changed.has('token')) {
      this.#conn.open(
        { realm: this.#realm, token: this.token || undefined, base: this.#base },
        {
          self: {
            snapshot: (sessions) => this.#onSnapshot(sessions),
            events: (events) => this.#onEvents(events),
          },
        },
      );
    }
  }

  override updated(): void {
    const c = this.#conn.connection;
    if (c) {
      c.removeEventListener('closed', this.#onClosed);
      c.addEventListener('closed', this.#onClosed);
      if (c.closed) void this.#checkStillSignedIn();
    }
  }

  get #realm(): string {
    return this.realm || storedRealm();
  }

  get #api(): VigilApi {
    return new VigilApi({ realm: this.#realm, token: this.token || undefined, base: this.#base });
  }

  #onSnapshot(sessions: Session[]): void {
    const s = sessions[0] ?? null;
    this._session = s;
    if (!s) return;
    if (s.state === 'warning') {
      const expiresAt = Date.parse(s.expiresAt);
      this._warning = {
        reason: expiresAt >= Date.parse(s.maxExpiresAt) ? 'max' : 'idle',
        expiresAt,
        idleTimeout: s.idleTimeout,
      };
    } else this._warning = null;
  }

  #onEvents(events: VigilEvent[]): void {
    for (const e of events) {
      if (FINAL_EVENTS.includes(e.name)) {
        this.#end(endCodeOf(e));
        return;
      }
      if (e.session) this._session = e.session;
      if (e.name === 'session.warning') {
        const d = e.data as { reason?: 'idle' | 'max'; expiresAt?: string; idleTimeout?: number };
        this._warning = {
          reason: d.reason === 'max' ? 'max' : 'idle',
          expiresAt: Date.parse(d.expiresAt ?? e.session?.expiresAt ?? '') || this.#conn.now() + 30_000,
          idleTimeout: d.idleTimeout ?? e.session?.idleTimeout ?? 0,
        };
        this._error = '';
      } else if (e.session?.state === 'active' || e.name === 'session.extended') {
        this._warning = null;
        this._error = '';
      }
    }
  }

  #reportActivity(): void {
    if (this._warning || this.#ended) return;
    const now = Date.now();
    if (now - this.#lastActivity < this.activityInterval * 1000) return;
    const c = this.#conn.connection;
    if (!c || c.state !== 'live' || !this._session) return;
    this.#lastActivity = now;
    void c.send('activity');
  }

  /**
   * A held promise's report, once per window: over the connection, or over HTTP while it is
   * down (a long upload may outlast a reconnect). Not while the prompt is open: in warning only
   * an explicit Extend counts, held work or not.
   */
  #reportHeldActivity(): void {
    if (this._warning || this.#ended) return;
    this.#lastActivity = Date.now();
    const c = this.#conn.connection;
    if (c && c.state === 'live') void c.send('activity');
    else void this.#api.post('/sessions/current/activity').catch(() => { /* ended: the sign-in page follows */ });
  }

  #stopHoldTimer(): void {
    if (this.#holdTimer) clearInterval(this.#holdTimer);
    this.#holdTimer = null;
  }

  async #extend(): Promise<boolean> {
    this._busy = true;
    this._error = '';
    try {
      const c = this.#conn.connection;
      const ack = c ? await c.send('extend') : { ok: false, code: 'OFFLINE' };
      if (ack.ok) {
        this._warning = null;
        return true;
      }
      if (ack.code === 'OFFLINE' || ack.code === 'TIMEOUT') {
        // The socket is down: the REST call does the same thing.
        await this.#api.post('/sessions/current/extend');
        this._warning = null;
        return true;
      }
      this._error = ack.message ?? 'The session could not be extended.';
    } catch (e) {
      this._error = e instanceof ApiError ? e.message : 'The session could not be extended.';
    } finally {
      this._busy = false;
    }
    return false;
  }

  async #logout(): Promise<void> {
    this._busy = true;
    try {
      await this.#api.post('/logout');
    } catch {
      /* already gone: the sign-in page is the right place either way */
    }
    this.#end('logout');
  }

  async #configure(): Promise<void> {
    if (this._warning?.reason === 'idle') await this.#extend();
    if (emit(this, 'vigil-configure', undefined, { cancelable: true })) location.assign(this.configureUrl || `${this.#base}/settings`);
  }

  async #checkStillSignedIn(): Promise<void> {
    if (this.#ended) return;
    try {
      await this.#api.get('/me');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) this.#end('unauthenticated');
    }
  }

  #end(code: EndCode): void {
    if (this.#ended) return;
    this.#ended = true;
    this._warning = null;
    const detail = { code, message: endMessage(code) };
    if (emit(this, 'vigil-session-end', detail, { cancelable: true })) {
      const url = new URL(this.signInUrl, location.href);
      url.searchParams.set('ended', code);
      location.assign(url.toString());
    }
  }

  /**
   * Keeps the session alive while `work` is pending: activity is reported at once and then
   * once per `activity-interval` until it settles (fulfilled or rejected), after which the
   * session idles out as usual. Several holds may overlap. Returns `work`, so that
   * `await guard.hold(upload(file))` reads as it runs.
   */
  hold<T>(work: Promise<T>): Promise<T> {
    this.#holds++;
    if (!this.#holdTimer) {
      this.#reportHeldActivity();
      this.#holdTimer = setInterval(() => this.#reportHeldActivity(), this.activityInterval * 1000);
    }
    const release = () => {
      if (--this.#holds === 0) this.#stopHoldTimer();
    };
    work.then(release, release);
    return work;
  }

  /** Whether a held promise is pending (hold()). */
  get holding(): boolean {
    return this.#holds > 0;
  }

  #renderPrompt() {
    const w = this._warning;
    const state = this.#conn.state;
    const skew = this.#conn.connection?.skewMs ?? 0;
    const at = w ? clockTime(w.expiresAt) : '';
    const max = w?.reason === 'max';
    // Token Lifetime (TrueNAS) governs console sessions; sso and offline sessions idle out by the
    // realm's policy, and their warning comes before the idle limit, not after it.
    const isConsole = (this._session?.kind ?? 'console') === 'console';
    return html`
      <vigil-dialog .open=${!!w} heading="Logout" tone="warning" .dismissible=${false}>
        ${w
          ? html`
              ${max
                ? html`<p class="lede">This session has reached its maximum duration and <strong>cannot be extended</strong>. Save your work and sign in again.</p>`
                : isConsole
                  ? html`<p class="lede">Your session has been inactive for longer than its token lifetime. Extend the session to stay signed in.</p>`
                  : html`<p class="lede">Your session is about to end because it has been idle. Extend the session to stay signed in.</p>`}
              <dl class="facts">
                <dt>${max ? 'Maximum duration' : isConsole ? 'Token lifetime exceeded' : 'Idle limit'}</dt>
                <dd data-testid="lifetime">${max ? 'Hard session limit' : humanizeSeconds(w.idleTimeout)}</dd>
                <dt>Session will be terminated at</dt>
                <dd data-testid="terminate-at">${at}</dd>
                <dt>Time left</dt>
                <dd><vigil-countdown class="big" .deadline=${w.expiresAt} .skew=${skew} urgent-below="15"></vigil-countdown></dd>
              </dl>
              <div class="status-line">
                <span class="muted">Connection</span>
                <vigil-connection-badge .state=${state}></vigil-connection-badge>
              </div>
              ${state !== 'live'
                ? html`<div class="banner warning" role="alert">The connection to the server is lost; it reconnects by itself. Extend still works over HTTP.</div>`
                : nothing}
              ${this._error ? html`<div class="banner error" role="alert">${this._error}</div>` : nothing}
            `
          : nothing}
        ${isConsole
          ? html`<button slot="footer" class="ghost" @click=${() => void this.#configure()} ?disabled=${this._busy}>Configure</button>`
          : nothing}
        <button slot="footer" @click=${() => void this.#logout()} ?disabled=${this._busy}>Log out</button>
        ${max
          ? nothing
          : html`<button slot="footer" class="primary" autofocus @click=${() => void this.#extend()} ?disabled=${this._busy}>Extend Session</button>`}
      </vigil-dialog>
    `;
  }

  override render() {
    const state = this.#conn.state;
    const showNotice = !this.hideConnection && !this._warning && (state === 'reconnecting' || state === 'offline');
    return html`
      ${this.#renderPrompt()}
      ${showNotice
        ? html`<div class="notice" part="notice" role="status">
            <vigil-connection-badge .state=${state}></vigil-connection-badge>
            <span>${state === 'offline' ? 'Disconnected from the session service.' : 'Connection lost. Reconnecting…'}</span>
          </div>`
        : nothing}
    `;
  }
}

customElements.define('vigil-session-guard', VigilSessionGuard);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-session-guard': VigilSessionGuard;
  }
}
