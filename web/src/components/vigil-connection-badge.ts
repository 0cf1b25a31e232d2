/**
 * Shows the real-time connection state: Live, Connecting…, Reconnecting…, Offline.
 * A live region, so screen readers hear when the connection drops or comes back.
 *
 * @csspart badge - the pill
 */
import { LitElement, css, html } from 'lit';
import { property } from 'lit/decorators.js';
import type { ConnectionState } from '../lib/connection.js';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

export class VigilConnectionBadge extends LitElement {
  static override styles = css`
    :host { display: inline-flex; }
    span {
      display: inline-flex; align-items: center; gap: 8px; padding: 4px 12px; border-radius: 999px;
      font: 600 var(--vigil-badge-size, var(--vigil-text-xs, 0.75rem)) / 1.4 var(--vigil-font, system-ui, sans-serif);
      letter-spacing: 0.03em; border: 1px solid transparent; white-space: nowrap;
    }
    span::before { content: ''; width: 0.66em; height: 0.66em; border-radius: 50%; background: currentColor; }
    .live { color: var(--vigil-success, #15803d); background: var(--vigil-success-soft, #e5f6eb); }
    .live::before { box-shadow: 0 0 0 0 currentColor; animation: pulse 2s infinite; }
    .connecting, .reconnecting { color: var(--vigil-warning, #b45309); background: var(--vigil-warning-soft, #fff4e0); }
    .reconnecting::before, .connecting::before { animation: blink 1s infinite; }
    .offline { color: var(--vigil-danger, #c62828); background: var(--vigil-danger-soft, #fdecec); }
    @keyframes pulse { 0% { box-shadow: 0 0 0 0 rgba(21, 128, 61, 0.5); } 70% { box-shadow: 0 0 0 6px rgba(21, 128, 61, 0); } 100% { box-shadow: 0 0 0 0 rgba(21, 128, 61, 0); } }
    @keyframes blink { 50% { opacity: 0.3; } }
    @media (prefers-reduced-motion: reduce) { span::before { animation: none !important; } }
  `;

  /** The state to show. */
  @property({ type: String, reflect: true }) state: ConnectionState = 'connecting';

  override render() {
    return html`<span part="badge" class=${this.state} role="status" aria-live="polite" title="Real-time connection">${LABELS[this.state]}</span>`;
  }
}

customElements.define('vigil-connection-badge', VigilConnectionBadge);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-connection-badge': VigilConnectionBadge;
  }
}
