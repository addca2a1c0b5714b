/** Field-level differences between an audit entry's before and after. */
export interface Change {
  field: string;
  before: string;
  after: string;
}

/** Bookkeeping fields every change touches; they say nothing a reader needs. */
const NOISE = new Set(['updatedAt', 'updatedBy', 'stateVersion']);

function show(v: unknown): string {
  if (v === undefined) return '—';
  return JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function diff(before: unknown, after: unknown): Change[] {
  if (!isObject(before) || !isObject(after)) {
    return show(before) === show(after) ? [] : [{ field: '(value)', before: before === null ? '—' : show(before), after: after === null ? '—' : show(after) }];
  }
  const out: Change[] = [];
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (NOISE.has(k)) continue;
    const b = show(before[k]);
    const a = show(after[k]);
    if (a !== b) out.push({ field: k, before: b, after: a });
  }
  return out;
}
