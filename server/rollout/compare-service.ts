import { AuditAction } from '@switchyard-flags/sdk/api';
import { canonicalJson } from '../audit/audit-hash.js';
import { iterateAudit } from '../audit/audit-store.js';
import { compareFlag, type CompareRow, type EnvFlagInput, type PromotionLineage } from '../environments/compare-board.js';
import { listFlagRows } from '../flags/flag-store.js';
import { stagePercent, type FlagRow } from '../flags/flag-view.js';
import type { Db } from '../storage/schema.js';
import { storedPlan } from './plan-schema.js';
import { listEnvironmentRows } from '../environments/environment-store.js';

/** `GET /api/environments/compare`. */
export interface CompareBoard {
  environments: string[];
  flags: CompareRow[];
}

/** The last promotion into each (environment, flag), from the `plan.promote` audit entries (their `after.lineage`). */
async function lastPromotions(db: Db): Promise<Map<string, PromotionLineage>> {
  const out = new Map<string, PromotionLineage>();
  for await (const r of iterateAudit(db, { action: AuditAction.PlanPromote })) {
    if (r.environment === null || r.flag === null || r.after === null) continue;
    const after = JSON.parse(r.after) as { planVersion?: unknown; lineage?: { from?: unknown; fromPlanVersion?: unknown } };
    const l = after.lineage;
    if (typeof after.planVersion !== 'number' || typeof l?.from !== 'string' || typeof l.fromPlanVersion !== 'number') continue;
    out.set(`${r.environment}\u0000${r.flag}`, { from: l.from, fromPlanVersion: l.fromPlanVersion, planVersion: after.planVersion });
  }
  return out;
}

function inputOf(row: FlagRow, lastPromotion: PromotionLineage | null): EnvFlagInput {
  const plan = storedPlan(row.plan);
  return {
    stage: row.stage,
    percent: stagePercent(plan, row.stage),
    killed: row.killed === 1,
    paused: row.paused === 1,
    planVersion: row.plan_version,
    planContent: plan ? canonicalJson({ plan, maxStaleSeconds: row.max_stale_seconds ?? null }) : null,
    lastPromotion,
  };
}

/** Every live flag, each environment side by side (environments in order), and what differs. */
export async function compareBoard(db: Db): Promise<CompareBoard> {
  // In order, then by key; archived environments are not on the board.
  const order = (await listEnvironmentRows(db, false)).map((e) => e.key);
  const promotions = await lastPromotions(db);
  const byKey = new Map<string, Record<string, EnvFlagInput>>();
  for (const env of order) {
    for (const row of await listFlagRows(db, env)) {
      const states = byKey.get(row.key) ?? {};
      states[env] = inputOf(row, promotions.get(`${env}\u0000${row.key}`) ?? null);
      byKey.set(row.key, states);
    }
  }
  const keys = [...byKey.keys()].sort();
  return { environments: order, flags: keys.map((k) => compareFlag(order, k, byKey.get(k)!)) };
}
