/**
 * A modal dialog. It uses the native `<dialog>` shown with `showModal()`, so the rest of the
 * page is inert, adds `role="dialog"` + `aria-modal="true"` labelled by its heading, keeps
 * Tab inside, moves focus in on open (to `[autofocus]` or the first control) and back to
 * where it came from on close.
 *
 * @fires vigil-close - the user asked to close it (Escape or the × button); detail `{reason}`.
 *   The owner decides by setting `open`.
 * @slot - the body
 * @slot footer - the actions, right-aligned
 * @csspart dialog - the dialog box
 */
import { LitElement, css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import { baseStyles } from '../styles/shared-styles.js';
import { emit } from '../events.js';
import { collectFocusable, deepActiveElement, trapTab } from '../lib/focus-trap.js';

export class VigilDialog extends LitElement {
  static override styles = [
    baseStyles,
    css`
      dialog {
        border: none; padding: 0; border-radius: 0.75rem; background: var(--vigil-surface); color: var(--vigil-text);
        box-shadow: var(--vigil-shadow-lg); width: min(32.5rem, calc(100vw - 2rem)); max-height: calc(100vh - 3rem);
      }
      dialog.wide { width: min(42.5rem, calc(100vw - 2rem)); }
      dialog::backdrop { background: rgba(15, 23, 42, 0.55); backdrop-filter: blur(0.125rem); }
      header { display: flex; align-items: center; gap: 0.75rem; padding: 1.25rem 1.5rem 0.5rem; }
      header h2 { flex: 1; font-size: var(--vigil-text-lg); }
      .body { padding: 0.5rem 1.5rem 1.25rem; font-size: var(--vigil-text-md); line-height: 1.5; display: grid; gap: 0.875rem; }
      footer { display: flex; justify-content: flex-end; gap: 0.625rem; padding: 0.875rem 1.5rem; border-top: 0.0625rem solid var(--vigil-border); background: var(--vigil-surface-2); border-radius: 0 0 0.75rem 0.75rem; flex-wrap: wrap; }
      .tone { width: 0.375rem; align-self: stretch; border-radius: 0.1875rem; }
      .tone.danger { background: var(--vigil-danger); }
      .tone.warning { background: var(--vigil-warning); }
      .tone.info { background: var(--vigil-accent); }
    `,
  ];

  #returnFocus: HTMLElement | null = null;

  /** Whether the dialog is shown. */
  @property({ type: Boolean, reflect: true }) open = false;
  /** The title, also the dialog's accessible name. */
  @property({ type: String }) heading = '';
  /** A coloured accent beside the title: `info`, `warning` or `danger`. */
  @property({ type: String }) tone: 'info' | 'warning' | 'danger' = 'info';
  /** Wider layout for forms. */
  @property({ type: Boolean }) wide = false;
  /** Whether Escape and the × button ask to close. */
  @property({ type: Boolean }) dismissible = true;

  override updated(changed: Map<string, unknown>): void {
    if (!changed.has('open')) return;
    const d = this.#dialog;
    if (!d) return;
    if (this.open && !d.open) {
      this.#returnFocus = deepActiveElement();
      d.showModal();
      requestAnimationFrame(() => this.focusFirst());
    } else if (!this.open && d.open) {
      d.close();
      this.#returnFocus?.focus?.();
      this.#returnFocus = null;
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#dialog?.open) this.#dialog.close();
  }

  #onCancel(e: Event): void {
    e.preventDefault();
    if (this.dismissible) this.#requestClose('escape');
  }

  #onKeydown(e: KeyboardEvent): void {
    trapTab(e, this.#focusables());
  }

  #requestClose(reason: string): void {
    emit(this, 'vigil-close', { reason });
  }

  /** Focuses `[autofocus]` in the content, else the first control. */
  focusFirst(): void {
    const items = this.#focusables();
    const auto = items.find((el) => el.hasAttribute('autofocus'));
    (auto ?? items[0])?.focus();
  }

  get #dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  /** Focusable controls in visual order: the × button, then the body, then the footer. */
  #focusables(): HTMLElement[] {
    const out: HTMLElement[] = [];
    const close = this.renderRoot.querySelector<HTMLElement>('header button');
    if (close) out.push(close);
    for (const slot of this.renderRoot.querySelectorAll('slot')) {
      for (const el of slot.assignedElements({ flatten: true })) collectFocusable(el, out);
    }
    return out.filter((el) => el.offsetParent !== null || el === close);
  }

  override render() {
    return html`
      <dialog part="dialog" class=${this.wide ? 'wide' : ''} role="dialog" aria-modal="true" aria-labelledby="title"
        @cancel=${this.#onCancel} @keydown=${this.#onKeydown}>
        <header>
          <span class="tone ${this.tone}" aria-hidden="true"></span>
          <h2 id="title">${this.heading}</h2>
          ${this.dismissible
            ? html`<button class="ghost icon" aria-label="Close" @click=${() => this.#requestClose('button')}>✕</button>`
            : nothing}
        </header>
        <div class="body"><slot></slot></div>
        <footer><slot name="footer"></slot></footer>
      </dialog>
    `;
  }
}

customElements.define('vigil-dialog', VigilDialog);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-dialog': VigilDialog;
  }
}
