import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, Db, MetricSampleTable } from '../db.js';
import type { StorageLane } from '../storage/storage.js';
import type { CohortStats } from '@switchyard-flags/sdk/api';

export type Cohort = 'treatment' | 'control';

export type MetricStats = Map<string, { treatment?: CohortStats; control?: CohortStats }>;

export async function insertSamples(db: Db, rows: Array<Insertable<MetricSampleTable>>): Promise<void> {
  // SQLite binds at most 32766 variables; 8 per row, so chunks of 500 stay well inside.
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('metric_samples').values(rows.slice(i, i + 500)).execute();
}

/** Per metric and cohort: count, mean, min, max of the samples taken at or after `since`. */
export async function statsSince(db: Db, flag: string, since: string, metrics?: string[]): Promise<MetricStats> {
  let q = db
    .selectFrom('metric_samples')
    .select((eb) => [
      'metric',
      'cohort',
      eb.fn.sum<number>('count').as('count'),
      eb.fn.sum<number>(sql<number>`value * count`).as('total'),
      eb.fn.min<number>('value').as('min'),
      eb.fn.max<number>('value').as('max'),
    ])
    .where('flag', '=', flag)
    .where('at', '>=', since);
  if (metrics) {
    if (metrics.length === 0) return new Map();
    q = q.where('metric', 'in', metrics);
  }
  const rows = await q.groupBy(['metric', 'cohort']).execute();
  const out: MetricStats = new Map();
  for (const r of rows) {
    const entry = out.get(r.metric) ?? {};
    entry[r.cohort as Cohort] = { count: Number(r.count), mean: Number(r.total) / Number(r.count), min: Number(r.min), max: Number(r.max) };
    out.set(r.metric, entry);
  }
  return out;
}

/** The newest `limit` samples of one metric since `since`, returned oldest first; an aggregate with its `count` and `stddev`. */
export async function recentSamples(db: Db, flag: string, metric: string, since: string, limit: number) {
  const rows = await db
    .selectFrom('metric_samples')
    .select(['at', 'value', 'cohort', 'stage', 'count', 'stddev'])
    .where('flag', '=', flag)
    .where('metric', '=', metric)
    .where('at', '>=', since)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map(({ count, stddev, ...r }) => (stddev === null ? r : { ...r, count: Number(count), stddev }));
}

/** Distinct metric names with samples since `since`, in name order, after `after`, at most `limit`. */
export async function metricNamesSince(db: Db, flag: string, since: string, after: string | undefined, limit: number): Promise<string[]> {
  let q = db.selectFrom('metric_samples').select('metric').distinct().where('flag', '=', flag).where('at', '>=', since);
  if (after !== undefined) q = q.where('metric', '>', after);
  const rows = await q.orderBy('metric').limit(limit).execute();
  return rows.map((r) => r.metric);
}

/** Deletes up to `batch` raw samples received before `cutoff` (retention). */
export function pruneSamples(storage: Pick<StorageLane, 'deleteOldest'>, db: Db, cutoff: string, batch: number): Promise<number> {
  return storage.deleteOldest(db, 'metric_samples', 'received_at', cutoff, batch);
}
