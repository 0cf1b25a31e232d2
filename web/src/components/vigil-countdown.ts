/**
 * A live countdown to a deadline ("4:59"), ticking on the page's shared clock.
 * `skew` corrects the local clock to the server's (from `hello.serverTime`).
 *
 * @csspart value - the text
 */
import { LitElement, css, html } from 'lit';
import { property } from 'lit/decorators.js';
import { formatCountdown } from '../../../shared/duration.js';
import { ClockController } from '../controllers/clock-controller.js';

export class VigilCountdown extends LitElement {
  static override styles = css`
    :host { font-variant-numeric: tabular-nums; font-family: var(--vigil-font-mono, monospace); }
    :host([urgent]) { color: var(--vigil-warning, #b45309); font-weight: 650; }
  `;

  readonly #clock = new ClockController(this);

  /** The deadline, ms since the epoch (server time). */
  @property({ type: Number }) deadline = 0;
  /** serverTime − local time, in ms. */
  @property({ type: Number }) skew = 0;
  /** Seconds left under which the host gets the `urgent` attribute. */
  @property({ type: Number, attribute: 'urgent-below' }) urgentBelow = 60;

  override render() {
    void this.#clock;
    const left = (this.deadline - (Date.now() + this.skew)) / 1000;
    this.toggleAttribute('urgent', left < this.urgentBelow);
    return html`<span part="value">${formatCountdown(left)}</span>`;
  }
}

customElements.define('vigil-countdown', VigilCountdown);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-countdown': VigilCountdown;
  }
}
