import type { Gate } from '../../sdk/src/api.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db.js';
import type { FlagRow } from '../flags/flag-view.js';
import { stageStats } from '../samples/sample-aggregate-store.js';
import { stageStart } from '../flags/flag-view.js';
import { computeGates } from './gates.js';
import { storedPlan, type Plan } from './plan-schema.js';
import { liveSignoffs } from './plan-store.js';

export interface NextStageGates {
  plan: Plan | null;
  /** The stage an advance would enter, or null when there is none (no plan, or at the last stage). */
  nextStage: number | null;
  nextPercent: number | null;
  gates: Gate[];
  /** True when an advance would be allowed right now. */
  ready: boolean;
}

/** Reads what the gates of the next stage need (sign-offs, metric stats) and judges them. */
export async function loadGates(db: Kysely<Database>, row: FlagRow, now: Date): Promise<NextStageGates> {
  const plan = storedPlan(row.plan);
  const stage = plan?.stages[row.stage];
  if (!plan || !stage) return { plan, nextStage: null, nextPercent: null, gates: [], ready: false };
  const nextStage = row.stage + 1;
  const signers = (await liveSignoffs(db, row.key, row.plan_version, nextStage)).map((s) => s.actor);
  // The running aggregates of the current stage run: one row per metric and cohort, whatever the history.
  const stats = await stageStats(db, { flag: row.key, stage: row.stage, since: stageStart(row) }, [...new Set(stage.checks.map((c) => c.metric))]);
  const gates = computeGates({ row, plan, now, signers, stats });
  return { plan, nextStage, nextPercent: stage.percent, gates, ready: gates.every((g) => g.ok) };
}
