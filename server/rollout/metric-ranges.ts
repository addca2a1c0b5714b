import type { Db } from '../storage/schema.js';
import { livePlanRows } from '../flags/flag-store.js';
import type { MetricRange } from '../samples/sample-bounds.js';
import { storedPlan } from './plan-schema.js';

/**
 * The metric ranges the live flags among `flags` declare in their plans (`metrics: {eval_score:
 * {min: 0, max: 1}}`), per flag and metric: the samples domain's MetricRangePort, wired in
 * services.ts, so samples/ never reads a plan.
 */
export async function metricRanges(db: Db, env: string, flags: string[]): Promise<Map<string, Map<string, MetricRange>>> {
  const out = new Map<string, Map<string, MetricRange>>();
  for (let i = 0; i < flags.length; i += 400) {
    for (const row of await livePlanRows(db, env, flags.slice(i, i + 400))) {
      const declared = storedPlan(row.plan)?.metrics;
      if (declared) out.set(row.key, new Map(Object.entries(declared)));
    }
  }
  return out;
}
