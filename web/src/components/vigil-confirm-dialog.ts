/**
 * A confirmation that needs an explicit tick: the confirm button stays disabled until the
 * checkbox is checked (TrueNAS's "Confirm" checkbox). The tick resets each time it opens.
 *
 * @fires vigil-confirm - the user confirmed
 * @fires vigil-close - the user cancelled
 * @slot - the explanation shown above the checkbox
 */
import { LitElement, css, html, nothing } from 'lit';
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

  declare _checked: boolean;

  /** Whether the dialog is shown. */
  declare open: boolean;
  /** The title. */
  declare heading: string;
  /** The label of the confirm button. */
  declare confirmLabel: string;
  /** The label of the checkbox. */
  declare checkboxLabel: string;
  /** Shows a spinner-like busy state and disables the buttons. */
  declare busy: boolean;
  /** An error to show after a failed attempt. */
  declare error: string;

  static override properties = {
    open: { type: Boolean, reflect: true },
    heading: { type: String },
    confirmLabel: { type: String, attribute: 'confirm-label' },
    checkboxLabel: { type: String, attribute: 'checkbox-label' },
    busy: { type: Boolean },
    error: { type: String },
    _checked: { state: true },
  };

  constructor() {
    super();
    this.open = false;
    this.heading = 'Confirm';
    this.confirmLabel = 'Confirm';
    this.checkboxLabel = 'Confirm';
    this.busy = false;
    this.error = '';
    this._checked = false;
  }

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
