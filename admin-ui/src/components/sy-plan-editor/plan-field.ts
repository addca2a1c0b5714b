/** A labelled plan-editor input with the server's field error for its path (`stages.1.percent`) beside it. */
import { html, nothing } from 'lit';
import type { ApiFailure } from '../../api.js';

export interface FieldContext {
  error: ApiFailure | null;
  /** The draft changed: draw again. */
  touch(): void;
}

export const numOrUndef = (s: string) => (s.trim() === '' ? undefined : Number(s));

/** An ISO date as a `datetime-local` value in the browser's time zone. */
export const localInput = (iso?: string) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function fieldError(ctx: FieldContext, path: string) {
  const msgs = ctx.error?.fields.filter((f) => f.path === path) ?? [];
  return msgs.length ? html`<span class="field-error" id="e-${path}">${msgs.map((m) => m.message).join('; ')}</span>` : nothing;
}

const bad = (ctx: FieldContext, path: string): 'true' | 'false' => (ctx.error?.fields.some((f) => f.path === path) ? 'true' : 'false');

export function input(
  ctx: FieldContext,
  path: string,
  label: string,
  value: string | number | undefined,
  set: (v: string) => void,
  type = 'text',
  extra: { min?: string; step?: string } = {},
) {
  const id = `i-${path}`;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} type=${type} .value=${value === undefined ? '' : String(value)} min=${extra.min ?? nothing} step=${extra.step ?? nothing}
      aria-invalid=${bad(ctx, path)} aria-describedby="e-${path}" @change=${(e: Event) => { set((e.target as HTMLInputElement).value); ctx.touch(); }} />
    ${fieldError(ctx, path)}
  </div>`;
}
