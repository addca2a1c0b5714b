import { html, nothing, svg } from 'lit';
import { num } from '../../format.js';
import { SyElement } from '../base/sy-element.js';
import { styles } from './sy-trend.styles.js';

/** A small inline SVG trend line of a metric's samples, with its threshold dashed. */
export class SyTrend extends SyElement {
  static override styles = styles;
  static override properties = { values: { attribute: false }, threshold: { attribute: false }, label: {}, bad: { type: Boolean } };

  values: number[] = [];
  threshold: number | null = null;
  label = 'trend';
  bad = false;

  override render() {
    const v = this.values.filter(Number.isFinite);
    if (v.length === 0) return html`<span class="none">no samples yet</span>`;
    const w = 132;
    const h = 34;
    const all = this.threshold === null || this.threshold === undefined ? v : [...v, this.threshold];
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (hi === lo) {
      hi += Math.abs(hi) * 0.1 || 1;
      lo -= Math.abs(lo) * 0.1 || 1;
    }
    const x = (i: number) => (v.length === 1 ? w / 2 : (i / (v.length - 1)) * w);
    const y = (n: number) => h - 2 - ((n - lo) / (hi - lo)) * (h - 4);
    const pts = v.map((n, i) => `${x(i).toFixed(1)},${y(n).toFixed(1)}`).join(' ');
    const last = v[v.length - 1]!;
    const desc = `${this.label}: ${v.length} sample${v.length === 1 ? '' : 's'}, from ${num(v[0])} to ${num(last)}, min ${num(Math.min(...v))}, max ${num(Math.max(...v))}${
      this.threshold !== null && this.threshold !== undefined ? `; threshold ${num(this.threshold)}` : ''
    }`;
    return html`<svg width=${w} height=${h} viewBox="0 0 ${w} ${h}" role="img" aria-label=${desc}>
      <title>${desc}</title>
      ${svg`<polygon class="area" points="0,${h} ${pts} ${w},${h}"></polygon>`}
      ${this.threshold !== null && this.threshold !== undefined
        ? svg`<line class="limit" x1="0" x2=${w} y1=${y(this.threshold)} y2=${y(this.threshold)}></line>`
        : nothing}
      ${svg`<polyline class="line ${this.bad ? 'bad' : ''}" points=${pts}></polyline>`}
      ${svg`<circle class="dot ${this.bad ? 'bad' : ''}" cx=${x(v.length - 1)} cy=${y(last)} r="2.6"></circle>`}
    </svg>`;
  }
}

customElements.define('sy-trend', SyTrend);

declare global {
  interface HTMLElementTagNameMap {
    'sy-trend': SyTrend;
  }
}
