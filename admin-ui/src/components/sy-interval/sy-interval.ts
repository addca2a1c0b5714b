import { html, nothing, svg } from 'lit';
import { SyElement } from '../base/sy-element.js';
import { evidenceLine, placement, safeSide, type MetricEvidence } from '../../evidence.js';
import { styles } from './sy-interval.styles.js';

/**
 * A metric check's interval drawn against its limit: the safe side shaded, the limit dashed, the
 * confidence interval as a bar coloured by the outcome, the estimate as a dot. The same numbers
 * are its accessible name (the gate list also prints them as text).
 */
export class SyInterval extends SyElement {
  static override styles = styles;
  static override properties = { evidence: { attribute: false } };

  evidence: MetricEvidence | null = null;

  override render() {
    const e = this.evidence;
    const p = e ? placement(e) : null;
    if (!e || !p) return html`<span class="none">no estimate yet</span>`;
    const w = 150;
    const h = 22;
    const x = (f: number) => 4 + f * (w - 8);
    const side = safeSide(e);
    const label = `${e.metric}: ${e.outcome}; ${evidenceLine(e)}`;
    const mid = h / 2;
    return html`<svg class=${e.outcome} width=${w} height=${h} viewBox="0 0 ${w} ${h}" role="img" aria-label=${label}>
      <title>${label}</title>
      ${p.limit !== null && side
        ? svg`<rect class="safe" x=${side === 'above' ? x(p.limit) : 0} y="2" width=${side === 'above' ? w - x(p.limit) : x(p.limit)} height=${h - 4}></rect>`
        : nothing}
      ${svg`<line class="axis" x1="0" x2=${w} y1=${mid} y2=${mid}></line>`}
      ${p.lo !== null && p.hi !== null ? svg`<line class="bar" x1=${x(p.lo)} x2=${x(p.hi)} y1=${mid} y2=${mid}></line>` : nothing}
      ${p.limit !== null ? svg`<line class="limit" x1=${x(p.limit)} x2=${x(p.limit)} y1="1" y2=${h - 1}></line>` : nothing}
      ${p.est !== null ? svg`<circle class="dot" cx=${x(p.est)} cy=${mid} r="4"></circle>` : nothing}
    </svg>`;
  }
}

customElements.define('sy-interval', SyInterval);

declare global {
  interface HTMLElementTagNameMap {
    'sy-interval': SyInterval;
  }
}
