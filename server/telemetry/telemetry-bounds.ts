import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { livePlanRows } from '../flags/flag-store.js';
import { storedPlan } from '../rollout/plan-schema.js';

/**
 * What telemetry an SDK key may report (issue 12: figures a key cannot forge at will). Counts and
 * reach are kept only for live flags and stages that exist (0 up to the plan's last stage, or the
 * flag's current stage if a plan edit shortened it); one message may claim at most what one client
 * can plausibly serve in the time since its previous report; and stage 0 (not started, 0%) serves
 * `on` to nobody, so `on` counts and reach (users served `on`) claimed at stage 0 are impossible
 * (issue 20: 5.9×10⁹ forged `on` counts for a flag at 0%). Everything else is refused, counted
 * by reason in `switchyard_telemetry_refused_total`, and the connection stays open.
 */
export type RefusalReason = 'unknown_flag' | 'unknown_stage' | 'implausible_count' | 'implausible_reach' | 'impossible_on';
export type OnRefused = (reason: RefusalReason, n: number) => void;

/** Evaluations per second one SDK connection is believed to serve at most (TELEMETRY_MAX_EVALS_PER_SECOND). */
export const DEFAULT_EVALS_PER_SECOND = 1_000_000;
/** The window a connection's first report is judged over, and the longest any report is. */
export const FIRST_WINDOW_S = 60;
export const MAX_WINDOW_S = 600;

/** The highest stage that exists, per live flag among `keys`. */
export async function stageLimits(trx: Transaction<Database>, env: string, keys: string[], chunk = 400): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < keys.length; i += chunk) {
    const rows = await livePlanRows(trx, env, keys.slice(i, i + chunk));
    for (const r of rows) out.set(r.key, Math.max(storedPlan(r.plan)?.stages.length ?? 0, r.stage));
  }
  return out;
}

/**
 * Keeps the rows of flags and stages that exist, and no `on` at stage 0 (`servesOn` says whether a
 * row claims users served `on`); tells `onRefused` about the others.
 */
export function screen<T extends { flag: string; stage: number }>(rows: T[], limits: Map<string, number>, onRefused?: OnRefused, servesOn: (r: T) => boolean = () => false): T[] {
  let unknownFlag = 0;
  let unknownStage = 0;
  let impossibleOn = 0;
  const kept = rows.filter((r) => {
    const max = limits.get(r.flag);
    if (max === undefined) return (unknownFlag++, false);
    if (r.stage > max) return (unknownStage++, false);
    if (r.stage === 0 && servesOn(r)) return (impossibleOn++, false);
    return true;
  });
  if (unknownFlag) onRefused?.('unknown_flag', unknownFlag);
  if (unknownStage) onRefused?.('unknown_stage', unknownStage);
  if (impossibleOn) onRefused?.('impossible_on', impossibleOn);
  return kept;
}

/** Seconds a report from `source` covers: since its previous one, or FIRST_WINDOW_S for its first; at least 1, at most MAX_WINDOW_S. */
export class ReportWindows {
  private readonly last = new WeakMap<object, number>();

  constructor(private readonly monotonic: () => number) {}

  seconds(source: object | undefined): number {
    const now = this.monotonic();
    const prev = source ? this.last.get(source) : undefined;
    if (source) this.last.set(source, now);
    if (prev === undefined) return FIRST_WINDOW_S;
    return Math.min(Math.max((now - prev) / 1000, 1), MAX_WINDOW_S);
  }
}
