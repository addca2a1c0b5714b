/** Words for the Usage card: stage names, counts, the empty state. */
import { pct } from '../../format.js';
import type { StageUsageView } from '../../types.js';

export const count = (n: number): string => n.toLocaleString('en-US');

export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/** An estimate of distinct users: "≈ 1 user", "≈ 1,204 users". */
export const reached = (n: number): string => `≈ ${plural(n, 'user')}`;

/** "Not started", "Stage 2 · 25%", "Stage 4 (no longer in the plan)". */
export function stageName(s: Pick<StageUsageView, 'stage' | 'percent'>): string {
  if (s.stage === 0) return 'Not started';
  return s.percent > 0 ? `Stage ${s.stage} · ${pct(s.percent)}` : `Stage ${s.stage} (no longer in the plan)`;
}

/** What to say when nothing was counted: all time means never; a window means not lately. */
export function nothingYet(days: number | null): string {
  return days === null
    ? 'Never evaluated: no SDK has reported an evaluation of this flag.'
    : `Not evaluated in the last ${plural(days, 'day')}: no SDK reported an evaluation of this flag in that time.`;
}

/** The window choices: '' is all time. */
export const WINDOWS: Array<[string, string]> = [
  ['', 'All time'],
  ['1', 'Today (UTC)'],
  ['7', 'Last 7 days'],
  ['30', 'Last 30 days'],
];
