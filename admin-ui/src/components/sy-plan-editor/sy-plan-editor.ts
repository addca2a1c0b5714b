import { html, nothing } from 'lit';
import { ApiFailure, api } from '../../api.js';
import { currentEnv, flagPath } from '../../place.js';
import type { FlagView, Plan } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { renderRule } from './plan-cohort-fields.js';
import { input, type FieldContext } from './plan-field.js';
import { renderStage } from './plan-stage-fields.js';
import { styles } from './sy-plan-editor.styles.js';

const DEFAULT: Plan = { cohort: [], stages: [5, 25, 100].map((percent) => ({ percent, signoffs: 1, soakMinutes: 0, checks: [] })) };

/**
 * Edits a rollout plan; the server validates and its field errors are shown next to the fields.
 *
 * @fires sy-plan-saved - the PUT succeeded; `detail` is the server's answer (flag and plan)
 * @fires sy-plan-cancel - Cancel was pressed (no detail)
 * @fires sy-conflict - the flag changed under the edit (version_conflict); `detail` is the ApiFailure
 */
export class SyPlanEditor extends SyElement implements FieldContext {
  static override styles = [shared, styles];
  static override properties = { flag: { attribute: false }, plan: { attribute: false }, error: { state: true }, busy: { state: true } };

  flag: FlagView | null = null;
  plan: Plan | null = null;
  error: ApiFailure | null = null;
  busy = false;
  private draft: Plan = structuredClone(DEFAULT);

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('plan')) this.draft = structuredClone(this.plan ?? DEFAULT);
  }

  touch(): void {
    this.requestUpdate();
  }

  private async save(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.flag || this.busy) return;
    const reason = (this.renderRoot.querySelector('#plan-reason') as HTMLInputElement).value.trim();
    const d = this.draft;
    // The metric ranges the plan declares (not edited here) are kept as they are.
    const { metrics } = d as { metrics?: unknown };
    const body = { cohort: d.cohort, stages: d.stages, ...(d.webhookUrl ? { webhookUrl: d.webhookUrl } : {}), ...(metrics ? { metrics } : {}), version: currentEnv() ? undefined : this.flag.version, ...(reason ? { reason } : {}) };
    this.busy = true;
    try {
      const r = await api<{ changed: boolean }>('PUT', flagPath(this.flag.key, 'plan'), JSON.parse(JSON.stringify(body)));
      this.error = null;
      this.emit('sy-plan-saved', r);
    } catch (err) {
      this.error = err as ApiFailure;
      if (this.error.code === 'version_conflict') this.emit('sy-conflict', this.error);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('.notice.error')?.focus();
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const d = this.draft;
    return html`<form @submit=${this.save} novalidate aria-label="Rollout plan editor">
      <fieldset>
        <legend>Cohort: who is eligible (all rules must hold; none = everyone)</legend>
        ${d.cohort.map((r, i) => renderRule(this, d.cohort, r, i))}
        <div><button type="button" class="small" @click=${() => { d.cohort.push({ attr: '', op: 'in', values: [] }); this.touch(); }}>+ Add cohort rule</button></div>
      </fieldset>
      ${d.stages.map((s, i) => renderStage(this, d.stages, s, i))}
      <div class="row">
        <button type="button" class="small" @click=${() => { d.stages.push({ percent: 100, signoffs: 1, soakMinutes: 0, checks: [] }); this.touch(); }}>+ Add stage</button>
      </div>
      <div class="grid">
        ${input(this, 'webhookUrl', this.plan?.webhookUrlHash ? 'Webhook URL (shown redacted: leave it to keep the current one)' : 'Webhook URL (optional)', d.webhookUrl, (v) => (d.webhookUrl = v.trim() || undefined), 'url')}
        <div class="field" style="grid-column: span 2"><label for="plan-reason">Reason for this change (optional)</label><input id="plan-reason" /></div>
      </div>
      ${this.error
        ? html`<div class="notice error" role="alert" tabindex="-1">
            ${this.error.message}
            ${this.error.fields.length > 1 ? html`<ul class="errors">${this.error.fields.map((f) => html`<li><code>${f.path}</code>: ${f.message}</li>`)}</ul>` : nothing}
          </div>`
        : nothing}
      <p class="note">Saving makes a new plan version: sign-offs given for the previous version no longer count.</p>
      <div class="row">
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Saving…' : 'Save plan'}</button>
        <button type="button" @click=${() => this.emit('sy-plan-cancel')}>Cancel</button>
      </div>
    </form>`;
  }
}

customElements.define('sy-plan-editor', SyPlanEditor);

declare global {
  interface HTMLElementTagNameMap {
    'sy-plan-editor': SyPlanEditor;
  }
}
