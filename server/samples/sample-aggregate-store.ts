import { sql, type Kysely, type Transaction } from 'kysely';
import { deleteOldest, greatest, least, type Database, type MetricAggregateTable } from '../db.js';
import type { CohortStats } from '@switchyard-flags/sdk/api';
import type { Cohort } from './sample-store.js';

/** A cohort's running figures: what a gate needs (count, mean, min, max) and the moments a sequential test needs. */
export interface Aggregate extends CohortStats {
  sum: number;
  sumsq: number;
}

export type AggregateStats = Map<string, { treatment?: Aggregate; control?: Aggregate }>;

/** The stage run a sample counts for. */
export interface StageRun {
  flag: string;
  stage: number;
  since: string;
}

export interface CountedSample extends StageRun {
  metric: string;
  cohort: Cohort;
  /** The value, or an aggregate's mean (its min and max are taken as the mean: the spread is in sumSq). */
  value: number;
  /** Observations, their sum and sum of squares (1, value, value² for a single value). */
  count: number;
  sum: number;
  sumSq: number;
}

type Row = Omit<MetricAggregateTable, 'updated_at'>;

/** Folds samples into their running aggregates (one upsert per stage run, metric and cohort). Call inside the samples' transaction. */
export async function addToAggregates(trx: Transaction<Database>, samples: CountedSample[], at: string): Promise<void> {
  const folded = new Map<string, Row>();
  for (const s of samples) {
    const k = JSON.stringify([s.flag, s.since, s.stage, s.metric, s.cohort]);
    const r = folded.get(k);
    if (!r) {
      folded.set(k, { flag: s.flag, since: s.since, stage: s.stage, metric: s.metric, cohort: s.cohort, count: s.count, sum: s.sum, sumsq: s.sumSq, min: s.value, max: s.value });
      continue;
    }
    r.count += s.count;
    r.sum += s.sum;
    r.sumsq += s.sumSq;
    r.min = Math.min(r.min, s.value);
    r.max = Math.max(r.max, s.value);
  }
  const rows = [...folded.values()].map((r) => ({ ...r, updated_at: at }));
  const db = trx;
  // 11 variables per row: chunks of 500 stay well inside SQLite's limit.
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('metric_aggregates')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) =>
        oc.columns(['flag', 'since', 'stage', 'metric', 'cohort']).doUpdateSet({
          count: sql<number>`metric_aggregates.count + excluded.count`,
          sum: sql<number>`metric_aggregates.sum + excluded.sum`,
          sumsq: sql<number>`metric_aggregates.sumsq + excluded.sumsq`,
          min: least(db, sql<number>`metric_aggregates.min`, sql<number>`excluded.min`),
          max: greatest(db, sql<number>`metric_aggregates.max`, sql<number>`excluded.max`),
          updated_at: sql<string>`excluded.updated_at`,
        }),
      )
      .execute();
  }
}

/** Per metric and cohort, the running aggregate of one stage run: one indexed row each, whatever the history. */
export async function stageStats(db: Kysely<Database>, run: StageRun, metrics?: string[]): Promise<AggregateStats> {
  if (metrics && metrics.length === 0) return new Map();
  let q = db
    .selectFrom('metric_aggregates')
    .select(['metric', 'cohort', 'count', 'sum', 'sumsq', 'min', 'max'])
    .where('flag', '=', run.flag)
    .where('since', '=', run.since)
    .where('stage', '=', run.stage);
  if (metrics) q = q.where('metric', 'in', metrics);
  const out: AggregateStats = new Map();
  for (const r of await q.execute()) {
    const entry = out.get(r.metric) ?? {};
    const count = Number(r.count);
    entry[r.cohort as Cohort] = { count, mean: r.sum / count, min: r.min, max: r.max, sum: r.sum, sumsq: r.sumsq };
    out.set(r.metric, entry);
  }
  return out;
}

/** Metric names of one stage run in name order, after `after`, at most `limit`. */
export async function stageMetricNames(db: Kysely<Database>, run: StageRun, after: string | undefined, limit: number): Promise<string[]> {
  let q = db.selectFrom('metric_aggregates').select('metric').distinct().where('flag', '=', run.flag).where('since', '=', run.since).where('stage', '=', run.stage);
  if (after !== undefined) q = q.where('metric', '>', after);
  const rows = await q.orderBy('metric').limit(limit).execute();
  return rows.map((r) => r.metric);
}

/** For each flag, the names in `names` it has never reported, and how many names it has. */
export async function newMetricNames(trx: Transaction<Database>, names: Map<string, Set<string>>): Promise<Map<string, { known: number; fresh: string[] }>> {
  const db = trx;
  const out = new Map<string, { known: number; fresh: string[] }>();
  for (const [flag, set] of names) {
    const wanted = [...set];
    const seen = new Set<string>();
    for (let i = 0; i < wanted.length; i += 500) {
      const rows = await db.selectFrom('metric_names').select('metric').where('flag', '=', flag).where('metric', 'in', wanted.slice(i, i + 500)).execute();
      for (const r of rows) seen.add(r.metric);
    }
    const fresh = wanted.filter((m) => !seen.has(m));
    if (fresh.length === 0) continue;
    const { n } = await db.selectFrom('metric_names').select((eb) => eb.fn.countAll<number>().as('n')).where('flag', '=', flag).executeTakeFirstOrThrow();
    out.set(flag, { known: Number(n), fresh });
  }
  return out;
}

/** Records that each flag reported these names now. */
export async function touchMetricNames(trx: Transaction<Database>, names: Map<string, Set<string>>, at: string): Promise<void> {
  const rows = [...names].flatMap(([flag, set]) => [...set].map((metric) => ({ flag, metric, last_seen_at: at })));
  for (let i = 0; i < rows.length; i += 500) {
    await trx
      .insertInto('metric_names')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['flag', 'metric']).doUpdateSet({ last_seen_at: sql<string>`excluded.last_seen_at` }))
      .execute();
  }
}

/** Forgets up to `batch` metric names last seen before `cutoff` (retention); aggregates are never pruned. */
export function pruneMetricNames(db: Kysely<Database>, cutoff: string, batch: number): Promise<number> {
  return deleteOldest(db, 'metric_names', 'last_seen_at', cutoff, batch);
}
