import { html, nothing } from 'lit';
import { dateTime, duration, pct } from '../../format.js';
import type { Plan } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-stage-stepper.styles.js';

/** The plan as a stepper, 0 → 5% → 25% → 100%, with the current stage, time there and planned dates. */
export class SyStageStepper extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    plan: { attribute: false },
    stage: { type: Number },
    stageStartedAt: { attribute: false },
    paused: { type: Boolean },
    killed: { type: Boolean },
  };

  plan: Plan | null = null;
  stage = 0;
  stageStartedAt: string | null = null;
  paused = false;
  killed = false;

  override render() {
    const stages = this.plan?.stages ?? [];
    const steps = [{ percent: 0, name: 'Not started', plannedAt: undefined as string | undefined }, ...stages];
    const since = this.stageStartedAt ? Date.now() - Date.parse(this.stageStartedAt) : null;
    return html`<ol aria-label="Rollout stages">
      ${steps.map((s, i) => {
        const state = i < this.stage ? 'done' : i === this.stage ? 'current' : 'upcoming';
        const extra = state === 'current' ? (this.killed ? 'killed' : this.paused ? 'paused' : '') : '';
        const word = state === 'done' ? 'Done' : state === 'current' ? (this.killed ? 'Current · killed' : this.paused ? 'Current · paused' : 'Current') : 'Upcoming';
        return html`<li class="${state} ${extra}" aria-current=${state === 'current' ? 'step' : nothing} aria-label="Stage ${i}: ${pct(s.percent)}, ${word}">
          <span class="dot" aria-hidden="true">${state === 'done' ? '✓' : i}</span>
          <span class="pct">${i === 0 ? '0%' : pct(s.percent)}</span>
          <span class="what">${i === 0 ? 'Not started' : s.name ?? `Stage ${i}`}</span>
          ${state === 'current' ? html`<span class="now">${word}</span>` : html`<span class="what">${word}</span>`}
          ${state === 'current' && i > 0 && since !== null ? html`<span class="what">for ${duration(since)}</span>` : nothing}
          ${s.plannedAt ? html`<span class="what">planned ${dateTime(s.plannedAt)}</span>` : nothing}
        </li>`;
      })}
    </ol>
    ${stages.length === 0 ? html`<p class="note">No rollout plan yet: a PM or admin writes one below (default 5% → 25% → 100%).</p>` : nothing}`;
  }
}

customElements.define('sy-stage-stepper', SyStageStepper);

declare global {
  interface HTMLElementTagNameMap {
    'sy-stage-stepper': SyStageStepper;
  }
}
