import type { Gate, SignoffSnapshot } from '@switchyard-flags/sdk/api';
import type { Db } from '../storage/schema.js';
import type { FlagRow } from '../flags/flag-view.js';
import { stageStats } from '../samples/sample-aggregate-store.js';
import { stageStart } from '../flags/flag-view.js';
import { computeGates, type Convergence } from './gates.js';
import { judge } from './metric-check.js';
import { storedPlan, type Plan } from './plan-schema.js';
import { lapsedSignoffs, liveSignoffs, snapshotId, toSignoff } from './plan-store.js';
import { requirePreviousGate } from './previous-gate.js';
import { snapshotOf } from './signoff-evidence.js';
import { signoffRequired } from '../environments/environment-store.js';

/** The push layer's figures for one flag's current state, wired in services.ts (rollout/ never imports push/). */
export type ConvergencePort = (env: string, key: string) => Convergence | undefined;

export interface NextStageGates {
  plan: Plan | null;
  /** The stage an advance would enter, or null when there is none (no plan, or at the last stage). */
  nextStage: number | null;
  nextPercent: number | null;
  gates: Gate[];
  /** True when an advance would be allowed right now. */
  ready: boolean;
  /** The evidence of the next stage's checks now: what a sign-off given now records. */
  snapshot: SignoffSnapshot | null;
  snapshotId: string | null;
}

/** Reads what the gates of the next stage need (sign-offs, metric stats, convergence, the previous environment's soak) and judges them. */
/** The rule an unprotected environment set to `requireSignoff: false` advances by, without a PM sign-off (issue 23). */
export const SIGNOFF_WAIVED = 'requireSignoff: false on an unprotected environment';

export async function loadGates(db: Db, row: FlagRow, now: Date, convergence?: ConvergencePort): Promise<NextStageGates> {
  const plan = storedPlan(row.plan);
  const stage = plan?.stages[row.stage];
  if (!plan || !stage) return { plan, nextStage: null, nextPercent: null, gates: [], ready: false, snapshot: null, snapshotId: null };
  const nextStage = row.stage + 1;
  const live = (await liveSignoffs(db, row.environment, row.key, row.plan_version, nextStage)).map(toSignoff);
  const lapsed = (await lapsedSignoffs(db, row.environment, row.key, row.plan_version, nextStage)).map((r) => ({
    actor: r.actor,
    at: r.lapsed_at!,
    metric: r.lapse_metric ?? '',
    outcome: r.lapse_outcome ?? '',
    reason: r.lapse_reason ?? '',
  }));
  // The running aggregates of the current stage run: one row per metric and cohort, whatever the history.
  const stats = await stageStats(db, { environment: row.environment, flag: row.key, stage: row.stage, since: stageStart(row) }, [...new Set(stage.checks.map((c) => c.metric))]);
  const computed = computeGates({ row, plan, now, signers: live.map((s) => s.actor), signatures: live, lapsed, stats, convergence: convergence?.(row.environment, row.key), previous: await requirePreviousGate(db, row.environment, row.key, stage, now) });
  // Every other gate holds everywhere; the sign-off gate only where the environment asks for it.
  const waived = !(await signoffRequired(db, row.environment));
  const gates = waived ? computed.map((g) => (g.gate === 'signoff' && !g.ok ? { ...g, ok: true, detail: `not required in ${row.environment} (${SIGNOFF_WAIVED}): ${g.detail}` } : g)) : computed;
  const snapshot = snapshotOf(row.plan_version, stage.checks.map((c) => judge(c, stats)));
  return { plan, nextStage, nextPercent: stage.percent, gates, ready: gates.every((g) => g.ok), snapshot, snapshotId: snapshotId(snapshot) };
}
