import { html, nothing } from 'lit';
import { ApiFailure, api, seg } from '../../api.js';
import type { CohortRule, FlagView, MetricCheck, Plan, PlanStage } from '../../types.js';
import type { CohortOp } from '../../../../sdk/src/protocol.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-plan-editor.styles.js';

const OPS: CohortOp[] = ['eq', 'neq', 'in', 'not_in', 'starts_with', 'ends_with', 'contains', 'lt', 'lte', 'gt', 'gte', 'semver_eq', 'semver_lt', 'semver_lte', 'semver_gt', 'semver_gte'];
const NUMERIC = new Set(['lt', 'lte', 'gt', 'gte']);
const DEFAULT: Plan = { cohort: [], stages: [5, 25, 100].map((percent) => ({ percent, signoffs: 1, soakMinutes: 0, checks: [] })) };

const numOrUndef = (s: string) => (s.trim() === '' ? undefined : Number(s));
const localInput = (iso?: string) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** Edits a rollout plan; the server validates and its field errors are shown next to the fields. */
export class SyPlanEditor extends SyElement {
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

  private err(path: string) {
    const msgs = this.error?.fields.filter((f) => f.path === path) ?? [];
    return msgs.length ? html`<span class="field-error" id="e-${path}">${msgs.map((m) => m.message).join('; ')}</span>` : nothing;
  }

  private bad(path: string): 'true' | 'false' {
    return this.error?.fields.some((f) => f.path === path) ? 'true' : 'false';
  }

  private touch(): void {
    this.requestUpdate();
  }

  private input(path: string, label: string, value: string | number | undefined, set: (v: string) => void, type = 'text', extra: { min?: string; step?: string } = {}) {
    const id = `i-${path}`;
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} type=${type} .value=${value === undefined ? '' : String(value)} min=${extra.min ?? nothing} step=${extra.step ?? nothing}
        aria-invalid=${this.bad(path)} aria-describedby="e-${path}" @change=${(e: Event) => { set((e.target as HTMLInputElement).value); this.touch(); }} />
      ${this.err(path)}
    </div>`;
  }

  private renderRule(r: CohortRule, i: number) {
    const p = `cohort.${i}`;
    return html`<div class="rule">
      ${this.input(`${p}.attr`, 'Attribute', r.attr, (v) => (r.attr = v))}
      <div class="field">
        <label for="op-${i}">Operator</label>
        <select id="op-${i}" @change=${(e: Event) => { r.op = (e.target as HTMLSelectElement).value as CohortOp; this.touch(); }}>
          ${OPS.map((o) => html`<option ?selected=${o === r.op}>${o}</option>`)}
        </select>
      </div>
      ${this.input(`${p}.values`, 'Values (comma-separated)', r.values.join(', '), (v) => {
        const parts = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
        r.values = NUMERIC.has(r.op) ? parts.map(Number) : parts;
      })}
      <button type="button" class="ghost small" aria-label="Remove cohort rule ${i + 1}" @click=${() => { this.draft.cohort.splice(i, 1); this.touch(); }}>Remove</button>
    </div>${this.err(p)}`;
  }

  private renderCheck(c: MetricCheck, si: number, ci: number) {
    const p = `stages.${si}.checks.${ci}`;
    const relative = c.maxDropPct !== undefined || c.baseline !== undefined;
    const setKind = (kind: string) => {
      if (kind === 'relative') Object.assign(c, { op: undefined, threshold: undefined, maxDropPct: c.maxDropPct ?? 5 });
      else Object.assign(c, { maxDropPct: undefined, baseline: undefined, op: c.op ?? '<=', threshold: c.threshold ?? 0 });
      this.touch();
    };
    return html`<div class="check">
      ${this.input(`${p}.metric`, 'Metric', c.metric, (v) => (c.metric = v))}
      <div class="field"><label for="k-${si}-${ci}">Kind</label>
        <select id="k-${si}-${ci}" @change=${(e: Event) => setKind((e.target as HTMLSelectElement).value)}>
          <option value="absolute" ?selected=${!relative}>absolute</option><option value="relative" ?selected=${relative}>vs baseline</option>
        </select></div>
      ${relative
        ? html`${this.input(`${p}.maxDropPct`, 'Max drop %', c.maxDropPct, (v) => (c.maxDropPct = numOrUndef(v)), 'number', { min: '0', step: 'any' })}
            ${this.input(`${p}.baseline`, 'Baseline', c.baseline, (v) => (c.baseline = numOrUndef(v)), 'number', { step: 'any' })}<span></span>`
        : html`<div class="field"><label for="o-${si}-${ci}">Op</label>
              <select id="o-${si}-${ci}" @change=${(e: Event) => { c.op = (e.target as HTMLSelectElement).value as MetricCheck['op']; this.touch(); }}>
                ${(['<=', '<', '>=', '>'] as const).map((o) => html`<option ?selected=${c.op === o}>${o}</option>`)}
              </select></div>
            ${this.input(`${p}.threshold`, 'Threshold', c.threshold, (v) => (c.threshold = numOrUndef(v)), 'number', { step: 'any' })}<span></span>`}
      <label class="inline"><input type="checkbox" .checked=${!!c.guardrail}
        @change=${(e: Event) => { c.guardrail = (e.target as HTMLInputElement).checked; if (!c.guardrail) delete c.onBreach; this.touch(); }} />Guardrail</label>
      <div class="field"><label for="b-${si}-${ci}">On breach</label>
        <select id="b-${si}-${ci}" ?disabled=${!c.guardrail} @change=${(e: Event) => { c.onBreach = (e.target as HTMLSelectElement).value as 'pause' | 'kill'; this.touch(); }}>
          <option value="pause" ?selected=${c.onBreach !== 'kill'}>pause</option><option value="kill" ?selected=${c.onBreach === 'kill'}>kill</option>
        </select></div>
      <button type="button" class="ghost small" aria-label="Remove check ${ci + 1} of stage ${si + 1}" @click=${() => { this.draft.stages[si]!.checks!.splice(ci, 1); this.touch(); }}>Remove</button>
    </div>${this.err(p)}`;
  }

  private renderStage(s: PlanStage, i: number) {
    const p = `stages.${i}`;
    s.checks ??= [];
    return html`<fieldset>
      <legend>Stage ${i + 1}${s.percent ? ` · ${s.percent}%` : ''}</legend>
      <div class="grid">
        ${this.input(`${p}.percent`, 'Percent of cohort', s.percent, (v) => (s.percent = Number(v)), 'number', { min: '0', step: 'any' })}
        ${this.input(`${p}.name`, 'Name (optional)', s.name, (v) => (s.name = v.trim() || undefined))}
        ${this.input(`${p}.signoffs`, 'PM sign-offs needed', s.signoffs ?? 1, (v) => (s.signoffs = numOrUndef(v)), 'number', { min: '1' })}
        ${this.input(`${p}.soakMinutes`, 'Soak before (minutes)', s.soakMinutes ?? 0, (v) => (s.soakMinutes = numOrUndef(v)), 'number', { min: '0' })}
        ${this.input(`${p}.plannedAt`, 'Planned date', localInput(s.plannedAt), (v) => (s.plannedAt = v ? new Date(v).toISOString() : undefined), 'datetime-local')}
        <label class="inline"><input type="checkbox" .checked=${!!s.autoAdvance} @change=${(e: Event) => (s.autoAdvance = (e.target as HTMLInputElement).checked)} />Auto-advance on the planned date</label>
      </div>
      <span class="sub">Metric checks</span>
      ${s.checks.map((c, ci) => this.renderCheck(c, i, ci))}
      <div class="row">
        <button type="button" class="small" @click=${() => { s.checks!.push({ metric: 'error_rate', op: '<=', threshold: 0.01 }); this.touch(); }}>+ Add check to stage ${i + 1}</button>
        <span class="spacer"></span>
        <button type="button" class="ghost small" aria-label="Remove stage ${i + 1}" @click=${() => { this.draft.stages.splice(i, 1); this.touch(); }}>Remove stage</button>
      </div>
      ${this.err(p)}
    </fieldset>`;
  }

  private async save(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.flag || this.busy) return;
    const reason = (this.renderRoot.querySelector('#plan-reason') as HTMLInputElement).value.trim();
    const d = this.draft;
    const body = { cohort: d.cohort, stages: d.stages, ...(d.webhookUrl ? { webhookUrl: d.webhookUrl } : {}), version: this.flag.version, ...(reason ? { reason } : {}) };
    this.busy = true;
    try {
      const r = await api<{ changed: boolean }>('PUT', `/api/flags/${seg(this.flag.key)}/plan`, JSON.parse(JSON.stringify(body)));
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
        ${d.cohort.map((r, i) => this.renderRule(r, i))}
        <div><button type="button" class="small" @click=${() => { d.cohort.push({ attr: '', op: 'in', values: [] }); this.touch(); }}>+ Add cohort rule</button></div>
      </fieldset>
      ${d.stages.map((s, i) => this.renderStage(s, i))}
      <div class="row">
        <button type="button" class="small" @click=${() => { d.stages.push({ percent: 100, signoffs: 1, soakMinutes: 0, checks: [] }); this.touch(); }}>+ Add stage</button>
      </div>
      <div class="grid">
        ${this.input('webhookUrl', 'Webhook URL (optional)', d.webhookUrl, (v) => (d.webhookUrl = v.trim() || undefined), 'url')}
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
