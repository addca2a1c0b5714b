/** The plan editor's stages: percent, sign-offs, soak, date, auto-advance, and metric checks with guardrails. */
import { html } from 'lit';
import type { MetricCheck, PlanStage } from '../../types.js';
import { fieldError, input, localInput, numOrUndef, type FieldContext } from './plan-field.js';

function renderCheck(ctx: FieldContext, checks: MetricCheck[], c: MetricCheck, si: number, ci: number) {
  const p = `stages.${si}.checks.${ci}`;
  const relative = c.maxDropPct !== undefined || c.baseline !== undefined;
  const setKind = (kind: string) => {
    if (kind === 'relative') Object.assign(c, { op: undefined, threshold: undefined, maxDropPct: c.maxDropPct ?? 5 });
    else Object.assign(c, { maxDropPct: undefined, baseline: undefined, op: c.op ?? '<=', threshold: c.threshold ?? 0 });
    ctx.touch();
  };
  const select = (e: Event) => (e.target as HTMLSelectElement).value;
  return html`<div class="check">
    ${input(ctx, `${p}.metric`, 'Metric', c.metric, (v) => (c.metric = v))}
    <div class="field"><label for="k-${si}-${ci}">Kind</label>
      <select id="k-${si}-${ci}" @change=${(e: Event) => setKind(select(e))}>
        <option value="absolute" ?selected=${!relative}>absolute</option><option value="relative" ?selected=${relative}>vs baseline</option>
      </select></div>
    ${relative
      ? html`${input(ctx, `${p}.maxDropPct`, 'Max drop %', c.maxDropPct, (v) => (c.maxDropPct = numOrUndef(v)), 'number', { min: '0', step: 'any' })}
          ${input(ctx, `${p}.baseline`, 'Baseline', c.baseline, (v) => (c.baseline = numOrUndef(v)), 'number', { step: 'any' })}<span></span>`
      : html`<div class="field"><label for="o-${si}-${ci}">Op</label>
            <select id="o-${si}-${ci}" @change=${(e: Event) => { c.op = select(e) as MetricCheck['op']; ctx.touch(); }}>
              ${(['<=', '<', '>=', '>'] as const).map((o) => html`<option ?selected=${c.op === o}>${o}</option>`)}
            </select></div>
          ${input(ctx, `${p}.threshold`, 'Threshold', c.threshold, (v) => (c.threshold = numOrUndef(v)), 'number', { step: 'any' })}<span></span>`}
    <label class="inline"><input type="checkbox" .checked=${!!c.guardrail}
      @change=${(e: Event) => { c.guardrail = (e.target as HTMLInputElement).checked; if (!c.guardrail) delete c.onBreach; ctx.touch(); }} />Guardrail</label>
    <div class="field"><label for="b-${si}-${ci}">On breach</label>
      <select id="b-${si}-${ci}" ?disabled=${!c.guardrail} @change=${(e: Event) => { c.onBreach = select(e) as 'pause' | 'kill'; ctx.touch(); }}>
        <option value="pause" ?selected=${c.onBreach !== 'kill'}>pause</option><option value="kill" ?selected=${c.onBreach === 'kill'}>kill</option>
      </select></div>
    <button type="button" class="ghost small" aria-label="Remove check ${ci + 1} of stage ${si + 1}" @click=${() => { checks.splice(ci, 1); ctx.touch(); }}>Remove</button>
  </div>${fieldError(ctx, p)}`;
}

export function renderStage(ctx: FieldContext, stages: PlanStage[], s: PlanStage, i: number) {
  const p = `stages.${i}`;
  const checks = (s.checks ??= []);
  return html`<fieldset>
    <legend>Stage ${i + 1}${s.percent ? ` · ${s.percent}%` : ''}</legend>
    <div class="grid">
      ${input(ctx, `${p}.percent`, 'Percent of cohort', s.percent, (v) => (s.percent = Number(v)), 'number', { min: '0', step: 'any' })}
      ${input(ctx, `${p}.name`, 'Name (optional)', s.name, (v) => (s.name = v.trim() || undefined))}
      ${input(ctx, `${p}.signoffs`, 'PM sign-offs needed', s.signoffs ?? 1, (v) => (s.signoffs = numOrUndef(v)), 'number', { min: '1' })}
      ${input(ctx, `${p}.soakMinutes`, 'Soak before (minutes)', s.soakMinutes ?? 0, (v) => (s.soakMinutes = numOrUndef(v)), 'number', { min: '0' })}
      ${input(ctx, `${p}.plannedAt`, 'Planned date', localInput(s.plannedAt), (v) => (s.plannedAt = v ? new Date(v).toISOString() : undefined), 'datetime-local')}
      <label class="inline"><input type="checkbox" .checked=${!!s.autoAdvance} @change=${(e: Event) => (s.autoAdvance = (e.target as HTMLInputElement).checked)} />Auto-advance on the planned date</label>
    </div>
    <span class="sub">Metric checks</span>
    ${checks.map((c, ci) => renderCheck(ctx, checks, c, i, ci))}
    <div class="row">
      <button type="button" class="small" @click=${() => { checks.push({ metric: 'error_rate', op: '<=', threshold: 0.01 }); ctx.touch(); }}>+ Add check to stage ${i + 1}</button>
      <span class="spacer"></span>
      <button type="button" class="ghost small" aria-label="Remove stage ${i + 1}" @click=${() => { stages.splice(i, 1); ctx.touch(); }}>Remove stage</button>
    </div>
    ${fieldError(ctx, p)}
  </fieldset>`;
}
