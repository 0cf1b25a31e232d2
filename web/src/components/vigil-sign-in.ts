/**
 * The sign-in form for realm users. The realm is remembered in localStorage and sits under a
 * collapsed "Realm" disclosure, since almost everyone uses `default`. Below the form, a button
 * per identity provider of the realm: a plain form post to the server's console-login, which
 * goes through the provider's own sign-in and comes back to the dashboard signed in.
 *
 * @fires vigil-signed-in - the login succeeded; detail `{realm, me}` where `me` is the
 *   login answer's session
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Session } from '../../../shared/protocol.js';
import { ApiError, VigilApi, errorMessage, storeRealm, storedRealm } from '../lib/api.js';
import { baseStyles } from '../styles/shared-styles.js';
import { emit } from '../events.js';

export class VigilSignIn extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: grid; place-items: center; min-height: 100vh; padding: 1.5rem;
        background: radial-gradient(75rem 37.5rem at 10% -10%, #dbe7ff 0%, transparent 60%), radial-gradient(56.25rem 31.25rem at 110% 110%, #e3f3ea 0%, transparent 60%), var(--vigil-bg); }
      .panel { width: min(26.25rem, 100%); padding: 2.25rem 2.25rem 1.75rem; display: grid; gap: 1.25rem; }
      .brand { display: flex; align-items: center; gap: 0.75rem; }
      .logo { width: 2.5rem; height: 2.5rem; border-radius: 0.625rem; background: linear-gradient(135deg, #2563eb, #0ea5e9); display: grid; place-items: center; color: #fff; font-weight: 800; font-size: 1.25rem; }
      .brand h1 { font-size: var(--vigil-text-xl); }
      .brand p { font-size: var(--vigil-text-sm); }
      form { display: grid; gap: 1rem; }
      details { font-size: var(--vigil-text-sm); }
      summary { cursor: pointer; color: var(--vigil-text-muted); font-weight: 600; padding: 0.25rem 0; }
      details label.field { margin-top: 0.625rem; }
      button[type='submit'] { min-height: 2.625rem; font-size: var(--vigil-text-md); }
      .forgot { justify-self: end; font-size: var(--vigil-text-sm); margin-top: -0.5rem; }
      .providers { display: grid; gap: 0.5rem; }
      .providers form { display: block; }
      .providers button { width: 100%; min-height: 2.5rem; }
      .or { display: flex; align-items: center; gap: 0.75rem; font-size: var(--vigil-text-xs); color: var(--vigil-text-faint); text-transform: uppercase; letter-spacing: 0.06em; }
      .or::before, .or::after { content: ''; flex: 1; border-top: 0.0625rem solid var(--vigil-border); }
      footer { text-align: center; font-size: var(--vigil-text-xs); color: var(--vigil-text-faint); }
    `,
  ];

  @state() _realm: string = storedRealm();
  @state() _busy = false;
  @state() _error = '';
  /** The realm's identity providers, as buttons; empty when it has none or they cannot be read. */
  @state() _providers: Array<{ alias: string; displayName: string }> = [];
  /** The realm `_providers` were read for, so that typing a realm name reads them again once it settles. */
  #providersOf = '';
  #providersTimer: ReturnType<typeof setTimeout> | undefined;

  /** Why the previous session ended, shown above the form. */
  @property({ type: String }) notice = '';
  /** The notice's tone: `info` (signed out) or `warning` (expired, terminated). */
  @property({ type: String, attribute: 'notice-tone' }) noticeTone: 'info' | 'warning' | 'error' = 'info';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#loadProviders();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#providersTimer);
  }

  async #loadProviders(): Promise<void> {
    const realm = this._realm || 'default';
    if (realm === this.#providersOf) return;
    this.#providersOf = realm;
    try {
      const body = await new VigilApi({ realm }).get<{ identityProviders: Array<{ alias: string; displayName: string }> }>('/login/identity-providers');
      if (this.#providersOf === realm) this._providers = body.identityProviders;
    } catch {
      // an unknown realm or an older server: only the password form
      if (this.#providersOf === realm) this._providers = [];
    }
  }

  #realmTyped(value: string): void {
    this._realm = value;
    clearTimeout(this.#providersTimer);
    this.#providersTimer = setTimeout(() => void this.#loadProviders(), 400);
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const username = String(data.get('username') ?? '').trim();
    const password = String(data.get('password') ?? '');
    const realm = String(data.get('realm') ?? '').trim() || 'default';
    if (!username || !password) {
      this._error = 'Enter your username and password.';
      return;
    }
    this._busy = true;
    this._error = '';
    try {
      const res = await new VigilApi({ realm }).post<{ token: string; session: Session }>('/login', { username, password });
      storeRealm(realm);
      emit(this, 'vigil-signed-in', { realm, session: res.session });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VIGIL_ERR_INVALID_CREDENTIALS') this._error = 'Incorrect username or password.';
      else if (err instanceof ApiError && err.code === 'VIGIL_ERR_NOT_FOUND') this._error = `The realm "${realm}" does not exist.`;
      else if (err instanceof ApiError && err.status === 429) this._error = 'Too many attempts. Wait a minute, then try again.';
      else this._error = errorMessage(err, 'Sign-in failed.');
    } finally {
      this._busy = false;
    }
  }

  override render() {
    return html`
      <main class="panel card" aria-labelledby="title">
        <div class="brand">
          <div class="logo" aria-hidden="true">V</div>
          <div>
            <h1 id="title">Sign in to Vigil</h1>
            <p class="muted">Real-time session monitor</p>
          </div>
        </div>
        ${this.notice ? html`<div class="banner ${this.noticeTone}" role="status" data-testid="end-notice">${this.notice}</div>` : nothing}
        <form @submit=${this.#submit} novalidate>
          <label class="field">Username
            <input name="username" autocomplete="username" autofocus required />
          </label>
          <label class="field">Password
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <a class="forgot" href="/realms/${encodeURIComponent(this._realm || 'default')}/login-actions/reset-credentials">Forgot password?</a>
          <details ?open=${this._realm !== 'default'}>
            <summary>Realm</summary>
            <label class="field">Realm name
              <input name="realm" .value=${this._realm} autocomplete="off" spellcheck="false" @input=${(e: Event) => this.#realmTyped((e.target as HTMLInputElement).value.trim())} />
              <span class="hint">Leave as <code>default</code> unless your administrator gave you another realm.</span>
            </label>
          </details>
          ${this._error ? html`<div class="banner error" role="alert">${this._error}</div>` : nothing}
          <button type="submit" class="primary" ?disabled=${this._busy}>${this._busy ? 'Signing in…' : 'Sign in'}</button>
        </form>
        ${this._providers.length
          ? html`<div class="or">or</div>
              <div class="providers" data-testid="sign-in-providers">
                ${this._providers.map((p) => html`<form method="post" action="/realms/${encodeURIComponent(this._realm || 'default')}/broker/${encodeURIComponent(p.alias)}/console-login"
                  @submit=${() => storeRealm(this._realm || 'default')}><button type="submit">Sign in with ${p.displayName}</button></form>`)}
              </div>`
          : nothing}
        <footer>Sessions are monitored. Idle sessions end automatically.</footer>
      </main>
    `;
  }
}

customElements.define('vigil-sign-in', VigilSignIn);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-sign-in': VigilSignIn;
  }
}
