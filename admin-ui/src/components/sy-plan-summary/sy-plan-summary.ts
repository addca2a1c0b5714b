import { html, nothing } from 'lit';
import { dateTime, num, pct } from '../../format.js';
import type { MetricCheck, Plan } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-plan-summary.styles.js';

function checkText(c: MetricCheck): string {
  return c.maxDropPct !== undefined
    ? `drops at most ${num(c.maxDropPct)}% below ${c.baseline !== undefined ? num(c.baseline) : 'the control cohort'}`
    : `${c.op} ${num(c.threshold)}`;
}

/** A plan, read-only: cohort, and per stage its sign-offs, soak, date and checks. */
export class SyPlanSummary extends SyElement {
  static override styles = [shared, styles];
  static override properties = { plan: { attribute: false }, stage: { type: Number } };

  plan: Plan | null = null;
  stage = 0;

  override render() {
    const plan = this.plan;
    if (!plan) return html`<p class="muted">No plan yet.</p>`;
    return html`
      ${plan.cohort.length
        ? html`<p class="small">Cohort: ${plan.cohort.map((r, i) => html`${i ? ' and ' : ''}<code>${r.attr} ${r.op} ${r.values.join(', ')}</code>`)}</p>`
        : html`<p class="small muted">Cohort: everyone</p>`}
      ${plan.stages.map(
        (s, i) => html`<div class="plan-stage"><span class="p">${pct(s.percent)}</span><div>
          ${s.name ? html`<strong>${s.name}</strong> · ` : nothing}${s.signoffs ?? 1} PM sign-off${(s.signoffs ?? 1) === 1 ? '' : 's'} · soak ${s.soakMinutes ?? 0} min
          ${s.plannedAt ? html` · planned ${dateTime(s.plannedAt)}${s.autoAdvance ? ' (auto-advance)' : ''}` : nothing}
          ${i === this.stage - 1 ? html` <span class="badge live">current stage</span>` : nothing}
          ${s.checks?.length
            ? html`<ul>${s.checks.map(
                (c) => html`<li><code>${c.metric}</code> ${checkText(c)}${c.guardrail ? html` · <strong>guardrail</strong> (${c.onBreach ?? 'pause'} on breach)` : nothing}</li>`,
              )}</ul>`
            : nothing}
        </div></div>`,
      )}
      ${plan.webhookUrl ? html`<p class="small muted">Notifies <code>${plan.webhookUrl}</code>${plan.webhookUrlHash ? html` (URL hash <code>${plan.webhookUrlHash}</code>)` : nothing}</p>` : nothing}
    `;
  }
}

customElements.define('sy-plan-summary', SyPlanSummary);

declare global {
  interface HTMLElementTagNameMap {
    'sy-plan-summary': SyPlanSummary;
  }
}
