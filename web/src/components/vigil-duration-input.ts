/**
 * A duration as value and unit (seconds, minutes, hours, days), as Keycloak's admin console
 * enters them. Shows the bounds problem itself; the owner gets whole seconds.
 *
 * @fires vigil-change - detail `{seconds}`: whole seconds, or null while the text is not a
 *   valid duration
 */
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { humanizeSeconds } from '../../../shared/duration.js';
import { DURATION_UNITS, splitDuration, toSeconds, type DurationUnit } from '../lib/units.js';
import { baseStyles } from '../styles/shared-styles.js';
import { emit } from '../events.js';

let nextId = 0;

export class VigilDurationInput extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .pair { display: flex; gap: 0.5rem; }
      .pair input { width: 8.75rem; }
      .pair select { width: 7.5rem; }
      .problem { margin-top: 0.375rem; }
    `,
  ];

  @state() _text = '0';
  @state() _unit: DurationUnit = 'seconds';
  #id = `dur-${nextId++}`;

  /** The value in whole seconds. */
  @property({ type: Number }) value = 0;
  /** Accessible name of the number field. */
  @property({ type: String }) label = '';
  /** An error to show under the field (set by the owner after validation). */
  @property({ type: String }) problem = '';
  /** Read-only. */
  @property({ type: Boolean }) disabled = false;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('value') && toSeconds(this._text, this._unit) !== this.value) {
      const { value, unit } = splitDuration(this.value);
      this._text = String(value);
      this._unit = unit;
    }
  }

  #emit(): void {
    const seconds = toSeconds(this._text, this._unit);
    if (seconds !== null) this.value = seconds;
    emit(this, 'vigil-change', { seconds });
  }

  override render() {
    const seconds = toSeconds(this._text, this._unit);
    return html`
      <div class="pair">
        <input type="text" inputmode="decimal" .value=${this._text} aria-label=${this.label} ?disabled=${this.disabled}
          aria-invalid=${this.problem || seconds === null ? 'true' : 'false'} aria-describedby=${this.#id}
          @input=${(e: Event) => { this._text = (e.target as HTMLInputElement).value; this.#emit(); }} />
        <select aria-label="${this.label} unit" ?disabled=${this.disabled}
          @change=${(e: Event) => { this._unit = (e.target as HTMLSelectElement).value as DurationUnit; this.#emit(); }}>
          ${DURATION_UNITS.map((u) => html`<option value=${u} ?selected=${u === this._unit}>${u[0].toUpperCase()}${u.slice(1)}</option>`)}
        </select>
      </div>
      <div id=${this.#id} class="hint">${seconds === null ? 'Enter a whole number of seconds in the chosen unit.' : seconds >= 60 ? `= ${humanizeSeconds(seconds)}` : nothing}</div>
      ${this.problem ? html`<div class="error-text problem" role="alert">${this.problem}</div>` : nothing}
    `;
  }
}

customElements.define('vigil-duration-input', VigilDurationInput);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-duration-input': VigilDurationInput;
  }
}
