/** The plan editor's cohort rules: attribute, operator, values. */
import { html } from 'lit';
import type { CohortOp } from '@switchyard-flags/sdk/protocol';
import type { CohortRule } from '../../types.js';
import { fieldError, input, type FieldContext } from './plan-field.js';

const OPS: CohortOp[] = ['eq', 'neq', 'in', 'not_in', 'starts_with', 'ends_with', 'contains', 'lt', 'lte', 'gt', 'gte', 'semver_eq', 'semver_lt', 'semver_lte', 'semver_gt', 'semver_gte'];
const NUMERIC = new Set(['lt', 'lte', 'gt', 'gte']);

export function renderRule(ctx: FieldContext, cohort: CohortRule[], r: CohortRule, i: number) {
  const p = `cohort.${i}`;
  return html`<div class="rule">
    ${input(ctx, `${p}.attr`, 'Attribute', r.attr, (v) => (r.attr = v))}
    <div class="field">
      <label for="op-${i}">Operator</label>
      <select id="op-${i}" @change=${(e: Event) => { r.op = (e.target as HTMLSelectElement).value as CohortOp; ctx.touch(); }}>
        ${OPS.map((o) => html`<option ?selected=${o === r.op}>${o}</option>`)}
      </select>
    </div>
    ${input(ctx, `${p}.values`, 'Values (comma-separated)', r.values.join(', '), (v) => {
      const parts = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
      r.values = NUMERIC.has(r.op) ? parts.map(Number) : parts;
    })}
    <button type="button" class="ghost small" aria-label="Remove cohort rule ${i + 1}" @click=${() => { cohort.splice(i, 1); ctx.touch(); }}>Remove</button>
  </div>${fieldError(ctx, p)}`;
}
