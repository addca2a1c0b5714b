import { html, nothing } from 'lit';
import { ago, num } from '../../format.js';
import type { Gate, MetricSeries, Signoff } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import '../sy-trend/sy-trend.js';
import { styles } from './sy-gate-list.styles.js';

const KIND: Record<string, string> = { state: 'Rollout state', signoff: 'PM sign-off', metric: 'Metric check', soak: 'Soak time', schedule: 'Schedule' };

/** The gates of the next stage: each with met / not met in words, the numbers, and a trend. */
export class SyGateList extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    gates: { attribute: false },
    series: { attribute: false },
    signoffs: { attribute: false },
    compact: { type: Boolean, reflect: true },
  };

  gates: Gate[] = [];
  series: MetricSeries[] = [];
  signoffs: Signoff[] = [];
  compact = false;

  private trend(g: Gate) {
    if (this.compact || g.gate !== 'metric' || !g.metric) return nothing;
    const s = this.series.find((x) => x.metric === g.metric);
    const values = (s?.samples ?? []).filter((p) => p.cohort === 'treatment').map((p) => p.value);
    return html`<sy-trend .values=${values} .threshold=${g.threshold ?? null} ?bad=${!g.ok} label="${g.metric} (treatment)"></sy-trend>`;
  }

  override render() {
    if (!this.gates.length) return html`<p class="note">No gates to show.</p>`;
    return html`<ul aria-label="Gates">
      ${this.gates.map(
        (g) => html`<li class=${g.ok ? 'ok' : 'fail'} data-gate=${g.gate}>
          <span class="mark" aria-hidden="true">${g.ok ? '✓' : '✕'}</span>
          <div>
            <div><span class="kind">${KIND[g.gate] ?? g.gate}${g.metric ? html`: <code>${g.metric}</code>` : nothing}</span>
              <span class="status">${g.ok ? 'Met' : 'Not met'}</span></div>
            <div class="detail">${g.detail}</div>
            ${!this.compact && g.gate === 'metric' && (g.observed !== undefined || g.threshold !== undefined)
              ? html`<div class="nums">current ${num(g.observed)} · threshold ${num(g.threshold)}</div>`
              : nothing}
            ${!this.compact && g.gate === 'signoff' && this.signoffs.length
              ? html`<ul class="signers" aria-label="Sign-offs">${this.signoffs.map(
                  (s) => html`<li>✓ <strong>${s.actor}</strong> <span class="muted" title=${s.at}>${ago(s.at)}</span>${s.comment ? html` — “${s.comment}”` : nothing}</li>`,
                )}</ul>`
              : nothing}
          </div>
          ${this.trend(g)}
        </li>`,
      )}
    </ul>`;
  }
}

customElements.define('sy-gate-list', SyGateList);

declare global {
  interface HTMLElementTagNameMap {
    'sy-gate-list': SyGateList;
  }
}
