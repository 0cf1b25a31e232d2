/**
 * The dashboard shell: decides between sign-in and the app, routes between the pages the
 * caller's role allows (history API, no reloads), shows the connection state in the top
 * bar, and includes the session guard so the Logout prompt works on every page.
 *
 * Routes: `/` and `/access` Access · `/settings` Token Settings · `/realm` Realm settings
 * (admin) · `/users` Users (admin) · `/identity-providers` Identity providers (admin) · `/display-keys` Display keys (admin) · `/connections`
 * Connections (admin) · `/outbox` Outbox (admin) · `/events` Events (viewer) · `/webhooks` Webhooks (admin).
 */
import { LitElement, css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import { strongestRole, type MeResponse, type Role } from '../../../shared/protocol.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { ApiError, VigilApi, errorMessage, storedRealm } from '../lib/api.js';
import { endMessage } from '../lib/session-end.js';
import { ensureTokens } from '../styles/tokens.js';
import { baseStyles } from '../styles/shared-styles.js';
import '../events.js';
import './vigil-sign-in.js';
import './vigil-access.js';
import './vigil-token-settings.js';
import './vigil-realm-settings.js';
import './vigil-users.js';
import './vigil-display-keys.js';
import './vigil-identity-providers.js';
import './vigil-connections.js';
import './vigil-outbox.js';
import './vigil-events.js';
import './vigil-webhooks.js';
import './vigil-session-guard.js';
import './vigil-connection-badge.js';

interface Route {
  path: string;
  label: string;
  roles: Role[];
  icon: string;
}

const ROUTES: Route[] = [
  { path: '/access', label: 'Access', roles: ['admin', 'viewer', 'user'], icon: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9a7 7 0 0 1 14 0' },
  { path: '/settings', label: 'Token Settings', roles: ['admin', 'viewer', 'user'], icon: 'M12 8v4l3 2M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z' },
  { path: '/events', label: 'Events', roles: ['admin', 'viewer'], icon: 'M4 6h16M4 10h16M4 14h10M4 18h7' },
  { path: '/realm', label: 'Realm settings', roles: ['admin'], icon: 'M4 6h16M4 12h10M4 18h7M18 15v6M15 18h6' },
  { path: '/users', label: 'Users', roles: ['admin'], icon: 'M16 11a3 3 0 1 0 0-6M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a7 7 0 0 1 14 0M17 14a5 5 0 0 1 5 5' },
  { path: '/identity-providers', label: 'Identity providers', roles: ['admin'], icon: 'M10 17l5-5-5-5M15 12H3M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4' },
  { path: '/display-keys', label: 'Display keys', roles: ['admin'], icon: 'M15 7a4 4 0 1 1-3.9 4.9L3 20v-3h3v-3h3l2.1-2.1A4 4 0 0 1 15 7z' },
  { path: '/connections', label: 'Connections', roles: ['admin'], icon: 'M5 12.55a11 11 0 0 1 14 0M8.5 16a6 6 0 0 1 7 0M2 8.82a15 15 0 0 1 20 0M12 20h.01' },
  { path: '/outbox', label: 'Outbox', roles: ['admin'], icon: 'M4 6h16v12H4zM4 7l8 6 8-6' },
  { path: '/webhooks', label: 'Webhooks', roles: ['admin'], icon: 'M4 12h5l2-5 3 10 2-5h4' },
];

export class VigilApp extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-height: 100vh; }
      .shell { display: grid; grid-template-columns: 13.5rem 1fr; grid-template-rows: 3.5rem 1fr; height: 100vh; }
      .topbar { grid-column: 1 / -1; display: flex; align-items: center; gap: 1rem; padding: 0 1.25rem; background: var(--vigil-nav-bg); color: var(--vigil-nav-active); }
      .brand { display: flex; align-items: center; gap: 0.625rem; font-weight: 750; font-size: var(--vigil-text-lg); letter-spacing: -0.01em; width: 12.5rem; }
      .logo { width: 1.875rem; height: 1.875rem; border-radius: 0.5rem; background: linear-gradient(135deg, #2563eb, #0ea5e9); display: grid; place-items: center; font-size: 0.9375rem; font-weight: 800; }
      .realm { font-size: var(--vigil-text-xs); color: var(--vigil-nav-text); padding: 0.1875rem 0.625rem; border-radius: 62.4375rem; border: 0.0625rem solid #334155; }
      .spacer { flex: 1; }
      .user { display: flex; align-items: center; gap: 0.625rem; font-size: var(--vigil-text-sm); color: var(--vigil-nav-text); }
      .user strong { color: var(--vigil-nav-active); }
      .role { font-size: 0.625rem; text-transform: uppercase; letter-spacing: 0.06em; padding: 0.125rem 0.5rem; border-radius: 0.25rem; background: #1e293b; color: #93c5fd; font-weight: 700; }
      .topbar button { background: transparent; color: var(--vigil-nav-active); border-color: #334155; }
      .topbar button:hover { background: #1e293b !important; }
      nav { background: var(--vigil-surface); border-right: 0.0625rem solid var(--vigil-border); padding: 1rem 0.75rem; display: flex; flex-direction: column; gap: 0.125rem; }
      nav a { display: flex; align-items: center; gap: 0.75rem; padding: 0.625rem 0.75rem; border-radius: var(--vigil-radius-sm); color: var(--vigil-text-muted); text-decoration: none; font-size: var(--vigil-text-md); font-weight: 550; }
      nav a:hover { background: var(--vigil-surface-hover); color: var(--vigil-text); }
      nav a[aria-current='page'] { background: var(--vigil-accent-soft); color: var(--vigil-accent); }
      nav svg { width: 1.125rem; height: 1.125rem; flex: none; }
      nav .foot { margin-top: auto; padding: 0.75rem; font-size: var(--vigil-text-xs); color: var(--vigil-text-faint); }
      main { padding: 1.5rem 1.75rem; overflow: auto; min-height: 0; display: flex; flex-direction: column; }
      main > * { flex: 1 1 auto; min-height: 0; }
      main > vigil-access { max-width: none; }
      .boot { display: grid; place-items: center; min-height: 100vh; }
      .forbidden { max-width: 35rem; }
    `,
  ];

  readonly #conn = new ConnectionController(this);

  @state() _me: MeResponse | null = null;
  @state() _path: string = location.pathname;
  @state() _booting = true;
  @state() _bootError = '';
  #realm = storedRealm();
  #notice = endMessage(new URLSearchParams(location.search).get('ended')) ?? '';
  /** The last `hello.role` the shell compared with its own idea of the role. */
  #helloRole: Role | null = null;
  readonly #onPop = () => (this._path = location.pathname);

  override connectedCallback(): void {
    super.connectedCallback();
    ensureTokens();
    window.addEventListener('popstate', this.#onPop);
    void this.#loadMe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.#onPop);
  }

  /**
   * The server closes a connection with 4000 when the user's roles change; the reconnected
   * connection's hello carries the new role. Reload /me once per new role, so the pages offered
   * follow it without a reload.
   */
  override updated(): void {
    const role = this.#conn.connection?.role ?? null;
    if (!role || role === this.#helloRole || !this._me) return;
    this.#helloRole = role;
    if (role !== strongestRole(this._me.user.roles)) void this.#refreshMe();
  }

  async #refreshMe(): Promise<void> {
    try {
      this._me = await new VigilApi({ realm: this.#realm }).get<MeResponse>('/me');
    } catch {
      /* signed out meanwhile: the connection's close says so */
    }
  }

  async #loadMe(): Promise<void> {
    this._booting = true;
    this._bootError = '';
    try {
      this._me = await new VigilApi({ realm: this.#realm }).get<MeResponse>('/me');
      this.#conn.open({ realm: this.#realm }, {});
      if (this._path === '/' || this._path === '') this.#navigate('/access', true);
    } catch (e) {
      this._me = null;
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 404))) {
        this._bootError = errorMessage(e, 'The server cannot be reached.');
      }
      if (this._path !== '/') history.replaceState(null, '', `/${location.search}`);
      this._path = '/';
    } finally {
      this._booting = false;
    }
  }

  #navigate(path: string, replace = false): void {
    if (replace) history.replaceState(null, '', path);
    else if (path !== location.pathname) history.pushState(null, '', path);
    this._path = path;
    this.renderRoot.querySelector('main')?.focus();
  }

  #onNavClick(e: MouseEvent, path: string): void {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    this.#navigate(path);
  }

  async #signedIn(e: CustomEvent<{ realm: string }>): Promise<void> {
    this.#realm = e.detail.realm;
    this.#notice = '';
    history.replaceState(null, '', '/access');
    this._path = '/access';
    await this.#loadMe();
  }

  async #signOut(): Promise<void> {
    try {
      await new VigilApi({ realm: this.#realm }).post('/logout');
    } catch {
      /* the session may be gone already */
    }
    location.assign('/?ended=logout');
  }

  #allowed(route: Route): boolean {
    return route.roles.some((r) => this._me?.user.roles.includes(r));
  }

  #renderPage() {
    const me = this._me!;
    const path = this._path === '/' ? '/access' : this._path;
    const route = ROUTES.find((r) => r.path === path);
    if (!route) {
      return html`<section class="card forbidden"><div class="card-body empty"><strong>Page not found</strong><span>There is no page at ${path}.</span>
        <button class="primary" @click=${() => this.#navigate('/access')}>Go to Access</button></div></section>`;
    }
    if (!this.#allowed(route)) {
      return html`<section class="card forbidden"><div class="card-body empty"><strong>Not available for your role</strong>
        <span>${route.label} needs the ${route.roles.includes('viewer') ? 'viewer' : 'admin'} role.</span><button class="primary" @click=${() => this.#navigate('/access')}>Go to Access</button></div></section>`;
    }
    switch (route.path) {
      case '/settings':
        return html`<vigil-token-settings .me=${me} realm=${this.#realm}
          @vigil-token-lifetime=${(e: CustomEvent<{ tokenLifetime: number }>) => (this._me = { ...me, user: { ...me.user, tokenLifetime: e.detail.tokenLifetime }, session: me.session ? { ...me.session, idleTimeout: e.detail.tokenLifetime } : null })}></vigil-token-settings>`;
      case '/realm':
        return html`<vigil-realm-settings realm=${this.#realm}></vigil-realm-settings>`;
      case '/users':
        return html`<vigil-users realm=${this.#realm} .me=${me}></vigil-users>`;
      case '/identity-providers':
        return html`<vigil-identity-providers realm=${this.#realm}></vigil-identity-providers>`;
      case '/display-keys':
        return html`<vigil-display-keys realm=${this.#realm}></vigil-display-keys>`;
      case '/connections':
        return html`<vigil-connections realm=${this.#realm}></vigil-connections>`;
      case '/outbox':
        return html`<vigil-outbox realm=${this.#realm}></vigil-outbox>`;
      case '/events':
        return html`<vigil-events realm=${this.#realm}></vigil-events>`;
      case '/webhooks':
        return html`<vigil-webhooks realm=${this.#realm}></vigil-webhooks>`;
      default:
        return html`<vigil-access .me=${me} realm=${this.#realm} @vigil-navigate=${(e: CustomEvent<{ path: string }>) => this.#navigate(e.detail.path)}></vigil-access>`;
    }
  }

  override render() {
    if (this._booting && !this._me) {
      return html`<div class="boot" role="status"><div class="empty"><div class="spinner" aria-hidden="true"></div><span>Loading Vigil…</span></div></div>`;
    }
    if (!this._me) {
      const ended = new URLSearchParams(location.search).get('ended');
      const tone = this._bootError ? 'error' : ended && ended !== 'logout' ? 'warning' : 'info';
      return html`<vigil-sign-in .notice=${this._bootError || this.#notice} notice-tone=${tone} @vigil-signed-in=${this.#signedIn}></vigil-sign-in>`;
    }
    const me = this._me;
    const path = this._path === '/' ? '/access' : this._path;
    const shownRole = strongestRole(me.user.roles);
    return html`
      <div class="shell">
        <header class="topbar">
          <div class="brand"><span class="logo" aria-hidden="true">V</span>Vigil</div>
          <span class="realm" title="Realm">realm: ${this.#realm}</span>
          <span class="spacer"></span>
          <vigil-connection-badge .state=${this.#conn.state}></vigil-connection-badge>
          <span class="user"><strong>${me.user.username}</strong><span class="role">${shownRole}</span></span>
          <button class="small" @click=${() => void this.#signOut()}>Sign out</button>
        </header>
        <nav aria-label="Main">
          ${ROUTES.filter((r) => this.#allowed(r)).map(
            (r) => html`<a href=${r.path} aria-current=${path === r.path ? 'page' : 'false'} @click=${(e: MouseEvent) => this.#onNavClick(e, r.path)}>
              <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d=${r.icon} /></svg>${r.label}</a>`,
          )}
          ${me.user.roles.includes('admin') || me.user.roles.includes('viewer')
            ? html`<a href="/wall" target="_blank" rel="noopener"><svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M3 4h18v12H3zM8 20h8M12 16v4" /></svg>Wall display ↗</a>`
            : nothing}
          <div class="foot">Vigil · session monitor</div>
        </nav>
        <main tabindex="-1">${this.#renderPage()}</main>
      </div>
      <vigil-session-guard realm=${this.#realm} hide-connection
        @vigil-configure=${(e: Event) => { e.preventDefault(); this.#navigate('/settings'); }}></vigil-session-guard>
    `;
  }
}

customElements.define('vigil-app', VigilApp);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-app': VigilApp;
  }
}
