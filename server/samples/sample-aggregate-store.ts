import { sql, type Transaction } from 'kysely';
import type { Database, Db, MetricAggregateTable } from '../storage/schema.js';
import { asFloat8, larger, smaller, type StorageLane } from '../storage/storage.js';
import type { CohortStats } from '@switchyard-flags/sdk/api';
import { mergeMoments } from './sample-moments.js';
import { stageReporters } from './sample-reporter-store.js';
import type { Cohort } from './sample-store.js';

/** A cohort's running figures: what a gate needs (count, mean, min, max) and M2, the spread a sequential test needs. */
export interface Aggregate extends CohortStats {
  /** Σ(x − mean)² over the stage run's observations (sample-moments.ts). */
  m2: number;
}

/** Per metric: each cohort's aggregate and how many distinct reporters (token subjects) sent its samples. */
export type AggregateStats = Map<string, { treatment?: Aggregate; control?: Aggregate; reporters?: number }>;

/** The stage run a sample counts for. */
export interface StageRun {
  /** The environment whose stage run it is (issue 23). */
  environment: string;
  flag: string;
  stage: number;
  since: string;
}

export interface CountedSample extends StageRun {
  metric: string;
  cohort: Cohort;
  /** The value, or an aggregate's mean (its min and max are taken as the mean: the spread is in m2). */
  value: number;
  /** Observations and their M2, Σ(x − mean)² (1 and 0 for a single value). */
  count: number;
  m2: number;
}

type Row = Omit<MetricAggregateTable, 'updated_at'>;

/**
 * Folds samples into their running aggregates (one upsert per stage run, metric and cohort), by
 * Chan's parallel Welford merge, in the batch and against the stored row alike: count, mean and
 * M2 stay within the values' bounds and never overflow. Call inside the samples' transaction.
 */
export async function addToAggregates(trx: Transaction<Database>, samples: CountedSample[], at: string): Promise<void> {
  const folded = new Map<string, Row>();
  for (const s of samples) {
    const k = JSON.stringify([s.environment, s.flag, s.since, s.stage, s.metric, s.cohort]);
    const r = folded.get(k);
    if (!r) {
      folded.set(k, { environment: s.environment, flag: s.flag, since: s.since, stage: s.stage, metric: s.metric, cohort: s.cohort, count: s.count, mean: s.value, m2: s.m2, min: s.value, max: s.value });
      continue;
    }
    const m = mergeMoments({ n: r.count, mean: r.mean, m2: r.m2 }, { n: s.count, mean: s.value, m2: s.m2 });
    r.count = m.n;
    r.mean = m.mean;
    r.m2 = m.m2;
    r.min = Math.min(r.min, s.value);
    r.max = Math.max(r.max, s.value);
  }
  const rows = [...folded.values()].map((r) => ({ ...r, updated_at: at }));
  const db = trx;
  // The stored row is a; the batch's row is b: n = na + nb, δ = mean_b − mean_a,
  // mean = mean_a + δ·nb/n, M2 = M2_a + M2_b + δ²·na·nb/n.
  // `count` as an 8-byte float, so the merge never multiplies two integers (PostgreSQL's bigint would overflow).
  const na = asFloat8('metric_aggregates.count');
  const nb = asFloat8('excluded.count');
  // PostgreSQL raises "underflow" when a product of non-zero floats rounds to 0: a difference
  // of means below 1e-100 moves nothing and is taken as 0, so δ²·na·wb is at least 1e-220.
  const diff = sql<number>`(excluded.mean - metric_aggregates.mean)`;
  const delta = sql<number>`(case when abs(${diff}) < 1e-100 then 0 else ${diff} end)`;
  const wb = sql<number>`(${nb} / (${na} + ${nb}))`;
  // 11 variables per row: chunks of 500 stay well inside SQLite's limit.
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('metric_aggregates')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) =>
        oc.columns(['environment', 'flag', 'since', 'stage', 'metric', 'cohort']).doUpdateSet({
          count: sql<number>`metric_aggregates.count + excluded.count`,
          mean: sql<number>`metric_aggregates.mean + ${delta} * ${wb}`,
          m2: sql<number>`metric_aggregates.m2 + excluded.m2 + ${delta} * ${delta} * ${na} * ${wb}`,
          min: smaller(sql<number>`metric_aggregates.min`, sql<number>`excluded.min`),
          max: larger(sql<number>`metric_aggregates.max`, sql<number>`excluded.max`),
          updated_at: sql<string>`excluded.updated_at`,
        }),
      )
      .execute();
  }
}

/** Per metric and cohort, the running aggregate of one stage run, and its reporters: one indexed row each, whatever the history. */
export async function stageStats(db: Db, run: StageRun, metrics?: string[]): Promise<AggregateStats> {
  if (metrics && metrics.length === 0) return new Map();
  let q = db
    .selectFrom('metric_aggregates')
    .select(['metric', 'cohort', 'count', 'mean', 'm2', 'min', 'max'])
    .where('environment', '=', run.environment)
    .where('flag', '=', run.flag)
    .where('since', '=', run.since)
    .where('stage', '=', run.stage);
  if (metrics) q = q.where('metric', 'in', metrics);
  const out: AggregateStats = new Map();
  for (const r of await q.execute()) {
    const entry = out.get(r.metric) ?? {};
    entry[r.cohort as Cohort] = { count: Number(r.count), mean: r.mean, min: r.min, max: r.max, m2: r.m2 };
    out.set(r.metric, entry);
  }
  for (const [metric, n] of await stageReporters(db, run, metrics)) {
    const entry = out.get(metric) ?? {};
    entry.reporters = n;
    out.set(metric, entry);
  }
  return out;
}

/** Metric names of one stage run in name order, after `after`, at most `limit`. */
export async function stageMetricNames(db: Db, run: StageRun, after: string | undefined, limit: number): Promise<string[]> {
  let q = db.selectFrom('metric_aggregates').select('metric').distinct().where('environment', '=', run.environment).where('flag', '=', run.flag).where('since', '=', run.since).where('stage', '=', run.stage);
  if (after !== undefined) q = q.where('metric', '>', after);
  const rows = await q.orderBy('metric').limit(limit).execute();
  return rows.map((r) => r.metric);
}

/**
 * For each flag, the names in `names` it has never reported, and how many names it has: two reads
 * for the whole batch, whatever the number of flags (the pairs it already knows, then the name
 * count of the flags that bring a new one).
 */
export async function newMetricNames(trx: Transaction<Database>, env: string, names: Map<string, Set<string>>): Promise<Map<string, { known: number; fresh: string[] }>> {
  const out = new Map<string, { known: number; fresh: string[] }>();
  if (names.size === 0) return out;
  const all = new Set<string>();
  for (const set of names.values()) for (const m of set) all.add(m);
  const seen = new Set<string>();
  const rows = await trx.selectFrom('metric_names').select(['flag', 'metric']).where('environment', '=', env).where('flag', 'in', [...names.keys()]).where('metric', 'in', [...all]).execute();
  for (const r of rows) seen.add(JSON.stringify([r.flag, r.metric]));
  const fresh = new Map<string, string[]>();
  for (const [flag, set] of names) {
    const f = [...set].filter((m) => !seen.has(JSON.stringify([flag, m])));
    if (f.length > 0) fresh.set(flag, f);
  }
  if (fresh.size === 0) return out;
  const counts = await trx
    .selectFrom('metric_names')
    .select((eb) => ['flag', eb.fn.countAll<number>().as('n')])
    .where('environment', '=', env)
    .where('flag', 'in', [...fresh.keys()])
    .groupBy('flag')
    .execute();
  const known = new Map(counts.map((c) => [c.flag, Number(c.n)]));
  for (const [flag, f] of fresh) out.set(flag, { known: known.get(flag) ?? 0, fresh: f });
  return out;
}

/** Records that each flag reported these names now. */
export async function touchMetricNames(trx: Transaction<Database>, env: string, names: Map<string, Set<string>>, at: string): Promise<void> {
  const rows = [...names].flatMap(([flag, set]) => [...set].map((metric) => ({ environment: env, flag, metric, last_seen_at: at })));
  for (let i = 0; i < rows.length; i += 500) {
    await trx
      .insertInto('metric_names')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['environment', 'flag', 'metric']).doUpdateSet({ last_seen_at: sql<string>`excluded.last_seen_at` }))
      .execute();
  }
}

/** Forgets up to `batch` metric names last seen before `cutoff` (retention); aggregates are never pruned. */
export function pruneMetricNames(storage: Pick<StorageLane, 'deleteOldest'>, db: Db, cutoff: string, batch: number): Promise<number> {
  return storage.deleteOldest(db, 'metric_names', 'last_seen_at', cutoff, batch);
}
