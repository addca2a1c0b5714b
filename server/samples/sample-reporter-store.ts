import { sql, type Transaction } from 'kysely';
import type { Database, Db } from '../storage/schema.js';
import type { StageRun } from './sample-aggregate-store.js';

/**
 * `metric_reporters` (migration 0020): which token subjects sent samples of a stage run's metric,
 * so a gate says how many reporters its evidence comes from (issue 20). Kept as long as the
 * aggregates; one row per stage run, metric and subject.
 */

/** Records that `reporter` (a token subject) sent samples of these metrics for these stage runs. */
export async function addReporters(trx: Transaction<Database>, runs: Array<StageRun & { metric: string }>, reporter: string, at: string): Promise<void> {
  const seen = new Map<string, StageRun & { metric: string }>();
  for (const r of runs) seen.set(JSON.stringify([r.environment, r.flag, r.since, r.stage, r.metric]), r);
  const rows = [...seen.values()].map((r) => ({ environment: r.environment, flag: r.flag, since: r.since, stage: r.stage, metric: r.metric, reporter, last_seen_at: at }));
  for (let i = 0; i < rows.length; i += 500) {
    await trx
      .insertInto('metric_reporters')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['environment', 'flag', 'since', 'stage', 'metric', 'reporter']).doUpdateSet({ last_seen_at: sql<string>`excluded.last_seen_at` }))
      .execute();
  }
}

/** Distinct reporters per metric of one stage run (metrics with none are absent). */
export async function stageReporters(db: Db, run: StageRun, metrics?: string[]): Promise<Map<string, number>> {
  let q = db
    .selectFrom('metric_reporters')
    .select((eb) => ['metric', eb.fn.countAll<number>().as('n')])
    .where('environment', '=', run.environment)
    .where('flag', '=', run.flag)
    .where('since', '=', run.since)
    .where('stage', '=', run.stage);
  if (metrics) q = q.where('metric', 'in', metrics);
  const rows = await q.groupBy('metric').execute();
  return new Map(rows.map((r) => [r.metric, Number(r.n)]));
}
