import { html, nothing } from 'lit';
import { advanceSpec, pauseSpec, rollbackSpec, signoffSpec } from '../sy-action-dialog/flag-actions.js';
import { pct, rolloutLabel, stageLabel } from '../../format.js';
import { whyNot, type Permission, type Session } from '../../session.js';
import type { FlagView, GatesView, MetricsView, PlanView, SignoffsView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec } from '../sy-action-dialog/action-spec.js';
import { styles } from './sy-rollout-panel.styles.js';

/**
 * The rollout of a flag: the stage stepper, the rollout actions (each disabled with the reason
 * when the role or the state forbids it) and the next stage's gate checklist. Emits
 * `sy-open-action`; the page owns the dialog.
 *
 * @fires sy-open-action - a rollout action was chosen; `detail` is its ActionSpec
 */
export class SyRolloutPanel extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    session: { attribute: false },
    flag: { attribute: false },
    plan: { attribute: false },
    gates: { attribute: false },
    signoffs: { attribute: false },
    metrics: { attribute: false },
  };

  session: Session | null = null;
  flag: FlagView | null = null;
  plan: PlanView | null = null;
  gates: GatesView | null = null;
  signoffs: SignoffsView | null = null;
  metrics: MetricsView | null = null;

  /** A button for an action: disabled with the reason in words when the role or the state forbids it. */
  private action(label: string, perm: Permission, stateWhy: string, spec: () => ActionSpec, cls = '') {
    const why = whyNot(this.session, perm) || stateWhy;
    const id = `why-${label.replace(/\W+/g, '-').toLowerCase()}`;
    return html`<div class="action">
      <button class=${cls} ?disabled=${!!why} aria-describedby=${why ? id : nothing} @click=${() => this.emit<ActionSpec>('sy-open-action', spec())}>${label}</button>
      ${why ? html`<span class="why" id=${id}>${why}</span>` : nothing}
    </div>`;
  }

  override render() {
    const f = this.flag;
    if (!f) return nothing;
    const plan = this.plan?.plan ?? null;
    const g = this.gates;
    const failing = g?.gates.filter((x) => !x.ok) ?? [];
    const next = g?.nextPercent ?? plan?.stages[f.stage]?.percent ?? null;
    const atEnd = !!plan && f.stage >= plan.stages.length;
    const noPlan = !plan ? 'There is no rollout plan yet.' : '';
    const advanceWhy = noPlan || (atEnd ? 'The rollout is at its last stage.' : failing.length ? 'Blocked by the gates marked “Not met”.' : '');
    const signoffWhy = noPlan || (atEnd ? 'There is no next stage to sign off.' : '');
    return html`<section class="card" aria-labelledby="rollout-h">
      <div class="section-head"><h2 id="rollout-h">Rollout</h2>
        ${plan ? html`<span class="muted small">plan version ${this.plan?.version} by ${this.plan?.author ?? '—'}</span>` : nothing}</div>
      <sy-stage-stepper .plan=${plan} .stage=${f.stage} .stageStartedAt=${f.stageStartedAt} ?paused=${f.paused} ?killed=${f.killed}></sy-stage-stepper>
      <div class="actions" role="group" aria-label="Rollout actions">
        ${this.action('Sign off', 'signoff', signoffWhy, () => signoffSpec(f, plan, g))}
        ${this.action(next === null ? 'Advance' : `Advance to ${pct(next)}`, 'advance', advanceWhy, () => advanceSpec(f, plan), 'primary')}
        ${this.action('Roll back', 'rollback', f.stage === 0 ? 'Nothing to roll back: the rollout has not started.' : '', () => rollbackSpec(f, plan))}
        ${this.action(f.paused ? 'Resume' : 'Pause', 'pause', noPlan, () => pauseSpec(f))}
      </div>
      ${plan && !atEnd
        ? html`<div class="stack">
            <h3>Gates for ${next === null ? 'the next stage' : pct(next)}
              <span class="muted small">· ${g?.ready ? 'all met: ready to advance' : `${failing.length} not met`}</span></h3>
            ${failing.length ? html`<ul class="blocked" aria-label="Why advance is blocked">${failing.map((x) => html`<li>${x.detail}</li>`)}</ul>` : nothing}
            <sy-gate-list .gates=${g?.gates ?? []} .series=${this.metrics?.metrics ?? []} .signoffs=${(this.signoffs?.signoffs ?? []).filter((s) => s.stage === (g?.nextStage ?? f.stage + 1))}></sy-gate-list>
          </div>`
        : atEnd
          ? html`<p class="notice ok" data-testid="rollout-end">${rolloutLabel(f)}: ${stageLabel(f)}.</p>`
          : nothing}
    </section>`;
  }
}

customElements.define('sy-rollout-panel', SyRolloutPanel);

declare global {
  interface HTMLElementTagNameMap {
    'sy-rollout-panel': SyRolloutPanel;
  }
}
