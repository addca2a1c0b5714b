/** Human text for times, durations, stages and values. */
import type { FlagView, Json } from './types.js';

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = now - t;
  if (d < 45_000) return 'just now';
  return d >= 0 ? `${duration(d)} ago` : `in ${duration(-d)}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return t.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function pct(p: number): string {
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** Whom a stage's percentage counts: the plan's cohort, or every user when the plan has no cohort rules. */
export function audience(f: Pick<FlagView, 'cohortRules'>): 'cohort' | 'users' {
  return f.cohortRules > 0 ? 'cohort' : 'users';
}

/** "Not started", "25% of cohort", "100% of users" (a plan without a cohort). */
export function stageLabel(f: Pick<FlagView, 'stage' | 'percent' | 'cohortRules'>): string {
  if (f.stage <= 0) return 'Not started';
  return `${pct(f.percent)} of ${audience(f)}`;
}

/**
 * Where a rollout stands, in the one wording the flag list, the flag page's badge and its
 * rollout panel share: a plan's last stage is always 100%, so 100% is "Fully rolled out".
 */
export function rolloutLabel(f: Pick<FlagView, 'stage' | 'percent'>): 'Not started' | 'Rolling out' | 'Fully rolled out' {
  if (f.stage <= 0) return 'Not started';
  return f.percent >= 100 ? 'Fully rolled out' : 'Rolling out';
}

export type StateKind = 'killed' | 'paused' | 'live' | 'idle' | 'archived';

/** One word for a flag's state, the thing on-call reads first. */
export function flagState(f: Pick<FlagView, 'killed' | 'paused' | 'stage' | 'percent' | 'archived'>): { kind: StateKind; label: string } {
  if (f.archived) return { kind: 'archived', label: 'Archived' };
  if (f.killed) return { kind: 'killed', label: 'Killed' };
  if (f.paused) return { kind: 'paused', label: 'Paused' };
  return { kind: f.stage > 0 ? 'live' : 'idle', label: rolloutLabel(f) };
}

export function json(v: Json | unknown): string {
  if (v === undefined) return '—';
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
}

export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toFixed(2)));
}

/**
 * A flag value in a sentence: its JSON, or, when the flag list left it out (a long value, see
 * `GET /api/flags`), its size and where to read it.
 */
export function valueText(f: { on?: Json; off?: Json; omittedValues?: { on?: number; off?: number } }, which: 'on' | 'off'): string {
  const v = f[which];
  if (v !== undefined) return JSON.stringify(v);
  const bytes = f.omittedValues?.[which];
  return bytes === undefined ? 'its value' : `a ${bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`} value, shown on the flag's page`;
}
