/**
 * A live line chart in hand-rolled SVG: one series of (time, value) points over a sliding
 * window, with an area fill, a gridline scale and time labels. Sized to its box.
 *
 * @csspart svg - the chart
 */
import { LitElement, css, html, svg } from 'lit';
import { property, state } from 'lit/decorators.js';

export interface ChartPoint {
  t: number;
  v: number;
}

/** A "nice" upper bound for the y axis: 7 → 10, 23 → 25, 140 → 150. */
export function niceMax(v: number): number {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export class VigilLineChart extends LitElement {
  static override styles = css`
    :host { display: block; position: relative; min-height: 160px; color: var(--chart-line, #38bdf8); }
    svg { position: absolute; inset: 0; width: 100%; height: 100%; overflow: visible; }
    .grid { stroke: var(--chart-grid, rgba(148, 163, 184, 0.18)); stroke-width: 1; }
    .label { fill: var(--chart-label, #94a3b8); font: 500 var(--chart-font-size, 14px) var(--vigil-font, system-ui); }
    .line { fill: none; stroke: currentColor; stroke-width: 3; stroke-linejoin: round; stroke-linecap: round; }
    .area { fill: url(#fill); }
    .dot { fill: currentColor; }
  `;

  @state() _w = 0;
  @state() _h = 0;
  #ro = new ResizeObserver(([e]) => {
    this._w = Math.round(e.contentRect.width);
    this._h = Math.round(e.contentRect.height);
  });

  /** The series, oldest first. */
  @property({ attribute: false }) points: ChartPoint[] = [];
  /** The visible time window, ms. */
  @property({ type: Number, attribute: 'window-ms' }) windowMs = 15 * 60_000;
  /** Accessible description of what is plotted. */
  @property({ type: String }) label = 'Chart';

  override connectedCallback(): void {
    super.connectedCallback();
    this.#ro.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#ro.disconnect();
  }

  override render() {
    const W = this._w;
    const H = this._h;
    if (!W || !H) return html`<svg part="svg" role="img" aria-label=${this.label}></svg>`;
    const padL = 56, padR = 18, padT = 12, padB = 34;
    const pts = this.points;
    const end = pts.length ? pts[pts.length - 1].t : Date.now();
    // Until a full window of history exists, zoom to the data (at least two minutes).
    const span = pts.length ? end - pts[0].t : 0;
    const windowMs = Math.min(this.windowMs, Math.max(120_000, span * 1.1));
    const start = end - windowMs;
    const max = niceMax(Math.max(1, ...pts.map((p) => p.v)));
    const x = (t: number) => padL + ((t - start) / windowMs) * (W - padL - padR);
    const y = (v: number) => padT + (1 - v / max) * (H - padT - padB);
    const visible = pts.filter((p) => p.t >= start - 60_000);
    // A step line: the count holds until the next change.
    let d = '';
    visible.forEach((p, i) => {
      const px = Math.max(padL, x(p.t));
      d += i === 0 ? `M${px},${y(p.v)}` : `H${px}V${y(p.v)}`;
    });
    if (visible.length) d += `H${x(end)}`;
    const area = visible.length ? `${d}V${y(0)}H${Math.max(padL, x(visible[0].t))}Z` : '';
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(max * f));
    const minutes = Math.max(1, Math.round(windowMs / 60_000));
    const xTicks = [0, 1 / 3, 2 / 3, 1].map((f) => start + f * windowMs);
    const ago = (t: number) => (windowMs < 300_000 ? `−${Math.round((end - t) / 1000)} s` : `−${Math.round((end - t) / 60_000)} min`);
    const last = visible[visible.length - 1];
    const desc = last ? `${this.label}: ${last.v} now, over the last ${minutes} minutes` : this.label;
    return html`<svg part="svg" role="img" aria-label=${desc} viewBox="0 0 ${W} ${H}">
      <defs><linearGradient id="fill" x1="0" y1="0" x2="0" y2="1">
        <stop offset="0%" stop-color="currentColor" stop-opacity="0.35"></stop>
        <stop offset="100%" stop-color="currentColor" stop-opacity="0.02"></stop>
      </linearGradient></defs>
      ${ticks.map((v) => svg`<line class="grid" x1=${padL} x2=${W - padR} y1=${y(v)} y2=${y(v)}></line>
        <text class="label" x=${padL - 10} y=${y(v) + 5} text-anchor="end">${v}</text>`)}
      ${xTicks.map((t, i) => svg`<text class="label" x=${x(t)} y=${H - 8} text-anchor=${i === 0 ? 'start' : i === 3 ? 'end' : 'middle'}>${i === 3 ? 'now' : ago(t)}</text>`)}
      ${area ? svg`<path class="area" d=${area}></path><path class="line" d=${d}></path>` : ''}
      ${last ? svg`<circle class="dot" cx=${x(end)} cy=${y(last.v)} r="6"></circle>` : ''}
    </svg>`;
  }
}

customElements.define('vigil-line-chart', VigilLineChart);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-line-chart': VigilLineChart;
  }
}
