import { css, html, nothing } from 'lit';
import { ago, num } from '../../format.js';
import type { Gate, MetricSeries, Signoff } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import '../sy-trend/sy-trend.js';

const KIND: Record<string, string> = { state: 'Rollout state', signoff: 'PM sign-off', metric: 'Metric check', soak: 'Soak time', schedule: 'Schedule' };

/** The gates of the next stage: each with met / not met in words, the numbers, and a trend. */
export class SyGateList extends SyElement {
  static override styles = [
    shared,
    css`
      ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
      li { display: grid; grid-template-columns: auto 1fr auto; gap: 0.75rem; align-items: center; padding: 0.65rem 0.8rem; border: 1px solid var(--sy-border); border-radius: 9px; background: #fff; }
      li.fail { border-color: #f1c6c8; background: #fffafa; }
      :host([compact]) li { padding: 0.35rem 0.55rem; background: transparent; }
      .mark { width: 1.6rem; height: 1.6rem; border-radius: 50%; display: grid; place-items: center; font-weight: 800; font-size: 0.85rem; }
      .ok .mark { background: var(--sy-ok-soft); color: var(--sy-ok); }
      .fail .mark { background: var(--sy-danger-soft); color: var(--sy-danger); }
      .kind { font-weight: 650; }
      .status { font-size: 0.74rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; margin-left: 0.4rem; }
      .ok .status { color: var(--sy-ok); }
      .fail .status { color: var(--sy-danger); }
      .detail { color: #3a4453; font-size: 0.88rem; }
      .nums { font-size: 0.8rem; color: var(--sy-muted); }
      .signers { margin: 0.3rem 0 0; padding: 0; list-style: none; font-size: 0.84rem; color: #3a4453; display: grid; gap: 0.15rem; }
      .signers li { display: block; border: none; padding: 0; background: none; }
    `,
  ];
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
