/**
 * The wall display at `/wall#key=vk_…[&realm=…]`: a read-only, always-on dark screen with
 * large counters (active, in warning, logins / expiries / terminations in the last hour,
 * connected clients), a live chart of active sessions, a breakdown by kind and a ticker of
 * recent events. A display key never idles out; the connection reconnects and resumes by
 * itself. Without a key it falls back to the signed-in viewer's cookie.
 *
 * Counters, the breakdown by kind and the chart come from the `stats` subscription (pushed at
 * once, then at most once a second while they change: a wall costs the server nothing per
 * event); the ticker comes from the `sessions` subscription's events.
 */
import { LitElement, css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import type { SessionKind, Stats, VigilEvent } from '../../../shared/protocol.js';
import { SESSION_KINDS } from '../../../shared/protocol.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { ClockController } from '../controllers/clock-controller.js';
import { storedRealm } from '../lib/api.js';
import { clockTime } from '../lib/format.js';
import { ensureTokens } from '../styles/tokens.js';
import type { ChartPoint } from './vigil-line-chart.js';
import './vigil-line-chart.js';
import './vigil-connection-badge.js';

const SAMPLE_EVERY_MS = 5_000;
const WINDOW_MS = 15 * 60_000;
const TICKER_SIZE = 14;

const EVENT_LABEL: Record<string, { text: string; tone: string }> = {
  'session.started': { text: 'signed in', tone: 'good' },
  'session.warning': { text: 'idle warning', tone: 'warn' },
  'session.extended': { text: 'extended', tone: 'good' },
  'session.expired': { text: 'expired', tone: 'bad' },
  'session.terminated': { text: 'terminated', tone: 'bad' },
  'session.ended': { text: 'signed out', tone: 'muted' },
  'session.updated': { text: 'updated', tone: 'muted' },
  'policy.updated': { text: 'policy updated', tone: 'muted' },
  'display_key.revoked': { text: 'display key revoked', tone: 'muted' },
};

/** Reads `#key=…&realm=…`. */
export function parseWallFragment(hash: string): { key: string | null; realm: string | null } {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  return { key: p.get('key'), realm: p.get('realm') };
}

export class VigilWall extends LitElement {
  static override styles = css`
    :host {
      --wall-bg: #070b14; --wall-panel: #0f1626; --wall-border: #1d2739; --wall-text: #e6edf7; --wall-muted: #8b98ad;
      --wall-good: #34d399; --wall-warn: #fbbf24; --wall-bad: #f87171; --wall-accent: #38bdf8;
      display: grid; grid-template-rows: auto auto 1fr; gap: clamp(12px, 1.4vw, 28px);
      min-height: 100vh; box-sizing: border-box; padding: clamp(16px, 2vw, 48px);
      background: radial-gradient(1400px 700px at 0% 0%, #0e1b33 0%, transparent 60%), var(--wall-bg);
      color: var(--wall-text); font-family: var(--vigil-font, system-ui, sans-serif);
      font-size: clamp(14px, 1vw, 28px);
    }
    header { display: flex; align-items: center; gap: 1em; }
    header h1 { margin: 0; font-size: 1.6em; font-weight: 750; letter-spacing: -0.01em; display: flex; gap: 0.5em; align-items: center; }
    .logo { width: 1.3em; height: 1.3em; border-radius: 0.3em; background: linear-gradient(135deg, #2563eb, #0ea5e9); display: grid; place-items: center; font-size: 0.8em; }
    .realm { color: var(--wall-muted); font-size: 1em; }
    .spacer { flex: 1; }
    .clock { font-variant-numeric: tabular-nums; font-size: 1.6em; font-weight: 600; }
    vigil-connection-badge { --vigil-badge-size: 0.95em; }
    .counters { display: grid; grid-template-columns: repeat(6, 1fr); gap: clamp(10px, 1vw, 24px); }
    .counter { background: var(--wall-panel); border: 1px solid var(--wall-border); border-radius: 0.8em; padding: 0.9em 1.1em; display: grid; gap: 0.3em; }
    .counter .label { color: var(--wall-muted); font-size: 0.95em; font-weight: 600; text-transform: uppercase; letter-spacing: 0.06em; }
    .counter .value { font-size: clamp(40px, 4.2vw, 150px); font-weight: 750; line-height: 1; font-variant-numeric: tabular-nums; }
    .counter.active .value { color: var(--wall-accent); }
    .counter.warn .value { color: var(--wall-warn); }
    .counter.bad .value { color: var(--wall-bad); }
    .counter .sub { color: var(--wall-muted); font-size: 0.85em; }
    .main { display: grid; grid-template-columns: 2.2fr 1fr; gap: clamp(10px, 1vw, 24px); min-height: 0; }
    .panel { background: var(--wall-panel); border: 1px solid var(--wall-border); border-radius: 0.8em; padding: 1em 1.2em; display: flex; flex-direction: column; min-height: 0; }
    .panel h2 { margin: 0 0 0.6em; font-size: 1em; color: var(--wall-muted); text-transform: uppercase; letter-spacing: 0.06em; }
    .left { display: grid; grid-template-rows: 1fr auto; gap: clamp(10px, 1vw, 24px); min-height: 0; }
    vigil-line-chart { flex: 1; min-height: 200px; --chart-font-size: clamp(12px, 0.9vw, 24px); --chart-line: var(--wall-accent); color: var(--wall-accent); }
    .kinds { display: grid; gap: 0.7em; }
    .kind { display: grid; grid-template-columns: 7em 1fr 4em; align-items: center; gap: 0.8em; font-size: 1.15em; }
    .bar { height: 0.8em; border-radius: 0.4em; background: #1b2538; overflow: hidden; }
    .bar span { display: block; height: 100%; background: var(--wall-accent); border-radius: 0.4em; transition: width 400ms; }
    .kind .n { text-align: right; font-variant-numeric: tabular-nums; font-weight: 700; }
    ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.35em; overflow: hidden; }
    li { display: grid; grid-template-columns: 4.6em 0.7em 1fr; gap: 0.6em; align-items: baseline; padding: 0.45em 0; border-bottom: 1px solid var(--wall-border); font-size: 1.05em; animation: enter 400ms ease-out; }
    li .time { color: var(--wall-muted); font-variant-numeric: tabular-nums; }
    li .dot { width: 0.6em; height: 0.6em; border-radius: 50%; background: var(--wall-muted); align-self: center; }
    li .dot.good { background: var(--wall-good); } li .dot.warn { background: var(--wall-warn); } li .dot.bad { background: var(--wall-bad); }
    li .what { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    li .what strong { font-weight: 700; }
    li .what .k { color: var(--wall-muted); }
    @keyframes enter { from { opacity: 0; transform: translateY(-6px); } }
    @media (prefers-reduced-motion: reduce) { li { animation: none; } }
    .fatal { display: grid; place-items: center; text-align: center; gap: 0.8em; grid-row: 2 / -1; }
    .fatal h2 { font-size: 2em; margin: 0; }
    .fatal p { color: var(--wall-muted); font-size: 1.2em; margin: 0; max-width: 40em; }
    code { background: #1b2538; padding: 0.1em 0.4em; border-radius: 0.3em; }
    .empty-ticker { color: var(--wall-muted); padding: 1em 0; }
    @media (max-width: 1100px) { .counters { grid-template-columns: repeat(3, 1fr); } .main { grid-template-columns: 1fr; } }
  `;

  readonly #conn = new ConnectionController(this);
  readonly #clock = new ClockController(this);

  @state() _stats: Stats | null = null;
  @state() _fatal = '';
  @state() _ticker: VigilEvent[] = [];
  @state() _series: ChartPoint[] = [];
  #key: string | null;
  #realm: string;
  #sampleTimer: ReturnType<typeof setInterval> | null = null;
  #lastSample = 0;
  /** A subscribe refused (a signed-in plain user has no viewer role): nothing to show. */
  readonly #onServerError = (e: Event) => {
    if ((e as CustomEvent<{ code?: string }>).detail?.code === 'VIGIL_ERR_FORBIDDEN') this.#onClosed();
  };
  readonly #onClosed = () => {
    this._fatal = this.#key
      ? 'The display key was revoked or is not valid. Create a new key under Display keys and open its wall URL here.'
      : 'The connection was refused. Sign in as a viewer, or open this page with a display key.';
  };

  constructor() {
    super();
    const { key, realm } = parseWallFragment(location.hash);
    this.#key = key;
    this.#realm = realm ?? (key ? 'default' : storedRealm());
  }

  override connectedCallback(): void {
    super.connectedCallback();
    ensureTokens();
    document.title = 'Vigil — wall display';
    this.#conn.open(
      { realm: this.#realm, token: this.#key ?? undefined },
      { stats: { stats: (s) => this.#onStats(s) }, sessions: { events: (e) => this.#onEvents(e) } },
    );
    this.#sampleTimer = setInterval(() => this.#sample(true), SAMPLE_EVERY_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#sampleTimer) clearInterval(this.#sampleTimer);
  }

  override updated(): void {
    const c = this.#conn.connection;
    if (c) {
      c.removeEventListener('closed', this.#onClosed);
      c.addEventListener('closed', this.#onClosed);
      c.removeEventListener('server-error', this.#onServerError);
      c.addEventListener('server-error', this.#onServerError);
      if (c.closed && !this._fatal) this.#onClosed();
    }
  }

  /** The counters as the server pushes them (at once, then at most once a second while they change). */
  #onStats(stats: Stats): void {
    this._stats = stats;
    this.#sample(false);
  }

  /** The ticker: the events worth showing, newest first. */
  #onEvents(events: VigilEvent[]): void {
    const interesting = events.filter((e) => e.name !== 'session.activity' && e.name in EVENT_LABEL);
    if (interesting.length) this._ticker = [...interesting.reverse(), ...this._ticker].slice(0, TICKER_SIZE);
  }

  /** Adds a chart point of active sessions: on a timer, and on a change (at most one a second). */
  #sample(force: boolean): void {
    if (!this._stats) return;
    const now = this.#conn.now();
    const v = this._stats.active;
    const last = this._series[this._series.length - 1];
    if (!force && last && now - this.#lastSample < 1000) {
      // Within the same second: update the last point rather than adding one.
      this._series = [...this._series.slice(0, -1), { t: last.t, v }];
      return;
    }
    this.#lastSample = now;
    const keep = this._series.filter((p) => p.t >= now - WINDOW_MS - 60_000);
    this._series = [...keep, { t: now, v }];
  }

  #counter(label: string, value: number | string, cls: string, sub: string, testid: string) {
    return html`<div class="counter ${cls}" role="group" aria-label=${label}>
      <span class="label">${label}</span><span class="value" data-testid=${testid}>${value}</span><span class="sub">${sub}</span>
    </div>`;
  }

  override render() {
    void this.#clock;
    const now = new Date(this.#conn.now());
    const header = html`<header>
      <h1><span class="logo" aria-hidden="true">V</span>Vigil</h1>
      <span class="realm">realm ${this.#realm}</span>
      <span class="spacer"></span>
      <vigil-connection-badge .state=${this.#conn.state}></vigil-connection-badge>
      <span class="clock" aria-label="Server time">${clockTime(now, true)}</span>
    </header>`;
    if (this._fatal) {
      return html`${header}<div class="fatal" role="alert"><h2>This display is not connected</h2><p>${this._fatal}</p>
        <p>Open <code>${location.origin}/wall#key=vk_…</code></p></div>`;
    }
    const s = this._stats;
    const kinds: Record<SessionKind, number> = s?.byKind ?? { console: 0, sso: 0, offline: 0 };
    const maxKind = Math.max(1, ...SESSION_KINDS.map((k) => kinds[k]));
    const fmt = (n: number | undefined) => (n === undefined ? '—' : n.toLocaleString());
    return html`
      ${header}
      <section class="counters" aria-label="Counters">
        ${this.#counter('Active sessions', fmt(s?.active), 'active', 'live', 'active')}
        ${this.#counter('In warning', fmt(s?.warning), 'warn', 'about to expire', 'warning')}
        ${this.#counter('Logins', fmt(s?.lastHour.logins), '', 'last hour', 'logins')}
        ${this.#counter('Expiries', fmt(s?.lastHour.expired), 'bad', 'last hour', 'expired')}
        ${this.#counter('Terminations', fmt(s?.lastHour.terminated), 'bad', 'last hour', 'terminated')}
        ${this.#counter('Connected clients', fmt(s?.connectedClients), '', 'streams open', 'clients')}
      </section>
      <section class="main">
        <div class="left">
          <div class="panel">
            <h2>Active sessions over time</h2>
            <vigil-line-chart .points=${this._series} window-ms=${WINDOW_MS} label="Active sessions"></vigil-line-chart>
          </div>
          <div class="panel">
            <h2>By kind</h2>
            <div class="kinds">
              ${SESSION_KINDS.map((k: SessionKind) => html`<div class="kind"><span>${k}</span>
                <span class="bar" role="meter" aria-label="${k} sessions" aria-valuenow=${kinds[k]} aria-valuemin="0" aria-valuemax=${maxKind}><span style="width:${(kinds[k] / maxKind) * 100}%"></span></span>
                <span class="n" data-testid="kind-${k}">${kinds[k].toLocaleString()}</span></div>`)}
            </div>
          </div>
        </div>
        <div class="panel">
          <h2>Recent events</h2>
          <ol aria-live="polite" aria-label="Recent events">
            ${this._ticker.length === 0
              ? html`<li class="empty-ticker" style="display:block">Waiting for events…</li>`
              : this._ticker.map((e) => {
                  const l = EVENT_LABEL[e.name] ?? { text: e.name, tone: 'muted' };
                  return html`<li><span class="time">${clockTime(Date.parse(e.at), true)}</span>
                    <span class="dot ${l.tone}"></span>
                    <span class="what"><strong>${e.session?.user.username ?? 'realm'}</strong> ${l.text} ${e.session ? html`<span class="k">· ${e.session.kind}${e.session.clientId ? ` · ${e.session.clientId}` : ''}</span>` : nothing}</span></li>`;
                })}
          </ol>
        </div>
      </section>
    `;
  }
}

customElements.define('vigil-wall', VigilWall);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-wall': VigilWall;
  }
}
