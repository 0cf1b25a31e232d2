/**
 * Token Settings (TrueNAS's "Configure"): the current account's token lifetime in seconds,
 * the humanised value beside it, bounds checked with the same rule as the server
 * (`tokenLifetimeProblem`), applied at once on Save.
 *
 * @fires vigil-token-lifetime - saved; detail `{tokenLifetime}`
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { humanizeSeconds } from '../../../shared/duration.js';
import { TOKEN_LIFETIME_MAX, TOKEN_LIFETIME_MIN, tokenLifetimeProblem } from '../../../shared/policy.js';
import type { MeResponse } from '../../../shared/protocol.js';
import { ApiError, VigilApi } from '../lib/api.js';
import { parseWholeNumber } from '../lib/units.js';
import { baseStyles } from '../styles/shared-styles.js';
import { emit } from '../events.js';

/** The sentence shown for an out-of-range value: the bounds, in seconds and in words. */
export const TOKEN_LIFETIME_BOUNDS_MESSAGE = `Token lifetime must be a whole number of seconds from ${TOKEN_LIFETIME_MIN} to ${TOKEN_LIFETIME_MAX} (${humanizeSeconds(TOKEN_LIFETIME_MAX)}).`;

export class VigilTokenSettings extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 45rem; }
      form { display: grid; gap: 1.25rem; }
      .row { display: grid; grid-template-columns: 13.75rem 1fr; gap: 1rem; align-items: center; }
      .human { font-size: var(--vigil-text-md); font-weight: 600; color: var(--vigil-text); }
      .human.bad { color: var(--vigil-text-faint); font-weight: 400; }
      .actions { display: flex; gap: 0.625rem; align-items: center; }
      .who { display: flex; gap: 0.5rem; align-items: center; font-size: var(--vigil-text-sm); }
      p.explain { font-size: var(--vigil-text-sm); color: var(--vigil-text-muted); line-height: 1.55; }
    `,
  ];

  @state() _text = '';
  @state() _problem = '';
  @state() _saved = '';
  @state() _busy = false;

  /** The caller (`GET /me`). */
  @property({ attribute: false }) me: MeResponse | null = null;
  /** The realm. */
  @property({ type: String }) realm = 'default';

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('me') && this.me && this._text === '') this._text = String(this.me.user.tokenLifetime);
  }

  #validate(): number | null {
    const n = parseWholeNumber(this._text);
    if (n === null || tokenLifetimeProblem(n)) {
      this._problem = TOKEN_LIFETIME_BOUNDS_MESSAGE;
      return null;
    }
    this._problem = '';
    return n;
  }

  async #save(e: Event): Promise<void> {
    e.preventDefault();
    this._saved = '';
    const n = this.#validate();
    if (n === null) {
      this.renderRoot.querySelector<HTMLInputElement>('#lifetime')?.focus();
      return;
    }
    this._busy = true;
    try {
      await new VigilApi({ realm: this.realm }).put('/me/token-lifetime', { tokenLifetime: n });
      this._saved = `Saved. Your sessions now end after ${humanizeSeconds(n)} of inactivity.`;
      emit(this, 'vigil-token-lifetime', { tokenLifetime: n });
    } catch (err) {
      this._problem = err instanceof ApiError ? err.message : 'The token lifetime could not be saved.';
    } finally {
      this._busy = false;
    }
  }

  override render() {
    if (!this.me) return html`<div class="empty"><div class="spinner"></div></div>`;
    const n = parseWholeNumber(this._text);
    const human = n !== null && !tokenLifetimeProblem(n) ? humanizeSeconds(n) : '';
    return html`
      <div class="page-title"><h1>Token Settings</h1></div>
      <section class="card">
        <div class="card-header">
          <h2>Token lifetime</h2>
          <span class="who muted">Account <strong>${this.me.user.username}</strong></span>
        </div>
        <div class="card-body">
          <form @submit=${this.#save} novalidate>
            <p class="explain">How long your sessions may stay inactive. When the lifetime passes without activity, a Logout prompt
              offers to extend the session; otherwise the session ends. New activity resets the counter. Allowed:
              ${TOKEN_LIFETIME_MIN} to ${TOKEN_LIFETIME_MAX.toLocaleString()} seconds (${humanizeSeconds(TOKEN_LIFETIME_MAX)}).</p>
            <div class="row">
              <label class="field" for="lifetime">Token Lifetime (seconds)</label>
              <div>
                <div style="display:flex; gap:16px; align-items:center">
                  <input id="lifetime" name="tokenLifetime" type="text" inputmode="numeric" style="max-width:12.5rem"
                    .value=${this._text} aria-invalid=${this._problem ? 'true' : 'false'} aria-describedby="human problem"
                    @input=${(e: Event) => { this._text = (e.target as HTMLInputElement).value; this._problem = ''; this._saved = ''; }} />
                  <span id="human" class="human ${human ? '' : 'bad'}" data-testid="humanized" aria-live="polite">${human || '—'}</span>
                </div>
              </div>
            </div>
            <div id="problem" aria-live="assertive">
              ${this._problem ? html`<div class="banner error" role="alert" data-testid="lifetime-error">${this._problem}</div>` : nothing}
              ${this._saved ? html`<div class="banner success" role="status">${this._saved}</div>` : nothing}
            </div>
            <div class="actions">
              <button type="submit" class="primary" ?disabled=${this._busy}>${this._busy ? 'Saving…' : 'Save'}</button>
              <button type="button" @click=${() => { this._text = String(this.me!.user.tokenLifetime); this._problem = ''; this._saved = ''; }}>Reset</button>
            </div>
          </form>
        </div>
      </section>
    `;
  }
}

customElements.define('vigil-token-settings', VigilTokenSettings);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-token-settings': VigilTokenSettings;
  }
}
