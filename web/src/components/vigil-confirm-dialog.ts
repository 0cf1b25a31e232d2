/**
 * A confirmation that needs an explicit tick: the confirm button stays disabled until the
 * checkbox is checked (TrueNAS's "Confirm" checkbox). The tick resets each time it opens.
 *
 * @fires vigil-confirm - the user confirmed
 * @fires vigil-close - the user cancelled
 * @slot - the explanation shown above the checkbox
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { baseStyles } from '../styles/shared-styles.js';
import './vigil-dialog.js';
import { emit } from '../events.js';

export class VigilConfirmDialog extends LitElement {
  static override styles = [
    baseStyles,
    css`
      .confirm-box { padding: 0.75rem 0.875rem; border: 0.0625rem solid var(--vigil-border); border-radius: var(--vigil-radius-sm); background: var(--vigil-surface-2); }
    `,
  ];

  @state() _checked = false;

  /** Whether the dialog is shown. */
  @property({ type: Boolean, reflect: true }) open = false;
  /** The title. */
  @property({ type: String }) heading = 'Confirm';
  /** The label of the confirm button. */
  @property({ type: String, attribute: 'confirm-label' }) confirmLabel = 'Confirm';
  /** The label of the checkbox. */
  @property({ type: String, attribute: 'checkbox-label' }) checkboxLabel = 'Confirm';
  /** Shows a spinner-like busy state and disables the buttons. */
  @property({ type: Boolean }) busy = false;
  /** An error to show after a failed attempt. */
  @property({ type: String }) error = '';

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('open') && this.open) this._checked = false;
  }

  #cancel(): void {
    emit(this, 'vigil-close');
  }

  #confirm(): void {
    if (!this._checked || this.busy) return;
    emit(this, 'vigil-confirm');
  }

  override render() {
    return html`
      <vigil-dialog .open=${this.open} heading=${this.heading} tone="danger"
        @vigil-close=${(e: Event) => { e.stopPropagation(); this.#cancel(); }}>
        <slot></slot>
        <label class="check confirm-box">
          <input type="checkbox" autofocus .checked=${this._checked}
            @change=${(e: Event) => (this._checked = (e.target as HTMLInputElement).checked)} />
          ${this.checkboxLabel}
        </label>
        ${this.error ? html`<div class="banner error" role="alert">${this.error}</div>` : nothing}
        <button slot="footer" @click=${this.#cancel} ?disabled=${this.busy}>Cancel</button>
        <button slot="footer" class="danger" ?disabled=${!this._checked || this.busy} @click=${this.#confirm}>
          ${this.busy ? 'Working…' : this.confirmLabel}
        </button>
      </vigil-dialog>
    `;
  }
}

customElements.define('vigil-confirm-dialog', VigilConfirmDialog);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-confirm-dialog': VigilConfirmDialog;
  }
}
