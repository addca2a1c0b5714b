import { html, nothing } from 'lit';
import { ago, num } from '../../format.js';
import type { Gate, MetricSeries, Signoff } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import '../sy-interval/sy-interval.js';
import '../sy-trend/sy-trend.js';
import '../sy-counted-apart/sy-counted-apart.js';
import {
  convergence, convergenceText, evidenceLine, lapsedSignoffs, lapsedText, metricEvidence, notAppliedText, OUTCOME_LABEL, outcomeWords, snapshotLine,
  type MetricEvidence, type SignoffSnapshot,
} from '../../evidence.js';
import { evidenceStyles, styles } from './sy-gate-list.styles.js';

const KIND: Record<string, string> = {
  state: 'Rollout state', signoff: 'PM sign-off', metric: 'Metric check', soak: 'Soak time', schedule: 'Schedule', convergence: 'SDKs on this stage',
};

/** A sign-off as the API lists it, with the evidence it signed and its lapse (issue 15). */
type SignoffWithEvidence = Signoff & { snapshot?: SignoffSnapshot; lapsedAt?: string | null; lapseReason?: string | null };

/**
 * The gates of the next stage: each with met / not met in words, the numbers, and a trend; a
 * metric check with its estimate and interval against the limit and its outcome, sign-offs with
 * the evidence they signed and those that lapsed, and how many connected SDKs applied the stage.
 */
export class SyGateList extends SyElement {
  static override styles = [shared, styles, evidenceStyles];
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

  private trend(g: Gate, e: MetricEvidence | null) {
    if (this.compact || g.gate !== 'metric' || !g.metric) return nothing;
    const s = this.series.find((x) => x.metric === g.metric);
    const values = (s?.samples ?? []).filter((p) => p.cohort === 'treatment').map((p) => p.value);
    return html`<div class="pictures">
      ${e ? html`<sy-interval .evidence=${e}></sy-interval>` : nothing}
      <sy-trend .values=${values} .threshold=${g.threshold ?? null} ?bad=${!g.ok} label="${g.metric} (treatment)"></sy-trend>
    </div>`;
  }

  private metric(g: Gate, e: MetricEvidence | null) {
    if (e) {
      return html`<div class="outcome ${e.outcome}">${outcomeWords(e)}</div>
        ${this.compact ? nothing : html`<div class="nums evidence">${evidenceLine(e)}</div>`}`;
    }
    return !this.compact && (g.observed !== undefined || g.threshold !== undefined)
      ? html`<div class="nums">current ${num(g.observed)} · threshold ${num(g.threshold)}</div>`
      : nothing;
  }

  private signers(g: Gate) {
    const all = this.signoffs as SignoffWithEvidence[];
    const lapsed = lapsedSignoffs(g);
    // The gate is the authority on lapses (a lapse found while the gates were read may be newer than the list).
    const live = all.filter((s) => !s.lapsedAt && !lapsed.some((l) => l.actor === s.actor && Date.parse(l.at) >= Date.parse(s.at)));
    // A snapshot's checks carry no kind: a relative one reads as a percentage, as its gate does.
    const kinds = new Map(this.gates.map(metricEvidence).filter((e) => e !== null).map((e) => [e.metric, e.kind]));
    if (!lapsed.length) {
      for (const s of all) if (s.lapsedAt) lapsed.push({ actor: s.actor, at: s.lapsedAt, metric: '', outcome: '', reason: s.lapseReason ?? `sign-off by ${s.actor} lapsed` });
    }
    return html`${!this.compact && live.length
        ? html`<ul class="signers" aria-label="Sign-offs">${live.map(
            (s) => html`<li>✓ <strong>${s.actor}</strong> <span class="muted" title=${s.at}>${ago(s.at)}</span>${s.comment ? html` — “${s.comment}”` : nothing}
              ${s.snapshot?.checks.length
                ? html`<div class="signed-on">signed on: ${s.snapshot.checks.map((c) => snapshotLine({ kind: kinds.get(c.metric), ...c })).join('; ')}</div>`
                : nothing}</li>`,
          )}</ul>`
        : nothing}
      ${lapsed.length ? html`<ul class="lapsed" aria-label="Lapsed sign-offs">${lapsed.map((l) => html`<li>⚠ ${lapsedText(l)}</li>`)}</ul>` : nothing}`;
  }

  private converged(g: Gate) {
    const c = convergence(g);
    if (!c || this.compact) return nothing;
    const p = c.connected ? Math.min(100, c.percentApplied ?? 0) : 0;
    return html`<div class="nums">${convergenceText(c)}</div>
      ${c.connected
        ? html`<div class="meter" role="meter" aria-label="Share of connected SDKs that applied the stage" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${p}>
            <span style="width:${p}%"></span><i style="left:${c.minApplied}%" title="needs ${c.minApplied}%"></i></div>`
        : nothing}
      ${c.notApplied.length
        ? html`<ul class="pending" aria-label="SDKs that have not applied the stage">${c.notApplied.map((s) => html`<li>${notAppliedText(s)}</li>`)}</ul>
            ${c.connected - c.applied > c.notApplied.length ? html`<div class="muted small">and ${c.connected - c.applied - c.notApplied.length} more</div>` : nothing}`
        : nothing}`;
  }

  override render() {
    if (!this.gates.length) return html`<p class="note">No gates to show.</p>`;
    return html`<ul aria-label="Gates">
      ${this.gates.map((g) => {
        const e = metricEvidence(g);
        const state = e?.outcome === 'inconclusive' ? 'wait' : g.ok ? 'ok' : 'fail';
        const status = e ? OUTCOME_LABEL[e.outcome] : g.ok ? 'Met' : 'Not met';
        return html`<li class=${state} data-gate=${g.gate} data-outcome=${e?.outcome ?? nothing}>
          <span class="mark" aria-hidden="true">${state === 'wait' ? '…' : g.ok ? '✓' : '✕'}</span>
          <div>
            <div><span class="kind">${KIND[g.gate] ?? g.gate}${g.metric ? html`: <code>${g.metric}</code>` : nothing}</span>
              <span class="status">${status}</span></div>
            ${g.gate === 'metric' ? this.metric(g, e) : nothing}
            ${g.gate === 'metric' && !this.compact ? html`<sy-counted-apart .gate=${g}></sy-counted-apart>` : nothing}
            <div class="detail">${g.detail}</div>
            ${g.gate === 'signoff' ? this.signers(g) : nothing}
            ${(g.gate as string) === 'convergence' ? this.converged(g) : nothing}
          </div>
          ${this.trend(g, e)}
        </li>`;
      })}
    </ul>`;
  }
}

customElements.define('sy-gate-list', SyGateList);

declare global {
  interface HTMLElementTagNameMap {
    'sy-gate-list': SyGateList;
  }
}
