import { sql, type Insertable, type Kysely } from 'kysely';
import { deleteOldest, dialectOf, type Database, type MetricSampleTable } from '../db.js';
import type { CohortStats } from '@switchyard-flags/sdk/api';

type Q = Kysely<Database>;

export type Cohort = 'treatment' | 'control';

export type MetricStats = Map<string, { treatment?: CohortStats; control?: CohortStats }>;

/**
 * Stores a batch of samples. PostgreSQL: one statement for the whole batch, its columns bound as
 * nine arrays and spread by `unnest` (a round trip per statement is what ingestion pays there, and
 * 9 parameters parse far faster than 9,000). SQLite: multi-row inserts of 500 rows (it binds at
 * most 32,766 variables; 9 per row), in-process calls with no round trip to save.
 */
export async function insertSamples(db: Q, rows: Array<Insertable<MetricSampleTable>>): Promise<void> {
  if (rows.length === 0) return;
  if (dialectOf(db) === 'postgres') {
    const col = <T>(f: (r: Insertable<MetricSampleTable>) => T) => rows.map(f);
    await sql`insert into metric_samples (flag, metric, value, cohort, at, stage, received_at, count, stddev)
      select * from unnest(${col((r) => r.flag)}::text[], ${col((r) => r.metric)}::text[], ${col((r) => r.value)}::float8[],
        ${col((r) => r.cohort)}::text[], ${col((r) => r.at)}::text[], ${col((r) => r.stage)}::int[], ${col((r) => r.received_at)}::text[],
        ${col((r) => r.count ?? 1)}::bigint[], ${col((r) => r.stddev ?? null)}::float8[])`.execute(db);
    return;
  }
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('metric_samples').values(rows.slice(i, i + 500)).execute();
}

/** Per metric and cohort: count, mean, min, max of the samples taken at or after `since`. */
export async function statsSince(db: Q, flag: string, since: string, metrics?: string[]): Promise<MetricStats> {
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
export async function recentSamples(db: Q, flag: string, metric: string, since: string, limit: number) {
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
export async function metricNamesSince(db: Q, flag: string, since: string, after: string | undefined, limit: number): Promise<string[]> {
  let q = db.selectFrom('metric_samples').select('metric').distinct().where('flag', '=', flag).where('at', '>=', since);
  if (after !== undefined) q = q.where('metric', '>', after);
  const rows = await q.orderBy('metric').limit(limit).execute();
  return rows.map((r) => r.metric);
}

/** Deletes up to `batch` raw samples received before `cutoff` (retention). */
export function pruneSamples(db: Kysely<Database>, cutoff: string, batch: number): Promise<number> {
  return deleteOldest(db, 'metric_samples', 'received_at', cutoff, batch);
}
