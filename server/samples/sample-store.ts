import { sql, type Insertable, type Transaction } from 'kysely';
import type { Database, Db, MetricSampleTable } from '../storage/schema.js';
import type { PgColumnType, StorageLane } from '../storage/storage.js';
import type { CohortStats } from '@switchyard-flags/sdk/api';

export type Cohort = 'treatment' | 'control';

export type MetricStats = Map<string, { treatment?: CohortStats; control?: CohortStats }>;

/**
 * Stores a batch of samples in one statement on PostgreSQL (`storage.insertMany`: the columns
 * bound as arrays and spread by `unnest`), in chunks of multi-row INSERTs on SQLite.
 */
export async function insertSamples(storage: Pick<StorageLane, 'insertMany'>, q: Db | Transaction<Database>, rows: Array<Insertable<MetricSampleTable>>): Promise<void> {
  await storage.insertMany(q, 'metric_samples', SAMPLE_COLUMNS, rows.map((r) => ({ ...r, count: r.count ?? 1, stddev: r.stddev ?? null })));
}

const SAMPLE_COLUMNS: Array<[keyof MetricSampleTable & string, PgColumnType]> = [
  ['environment', 'text'], ['flag', 'text'], ['metric', 'text'], ['value', 'float8'], ['cohort', 'text'], ['at', 'text'],
  ['stage', 'int'], ['received_at', 'text'], ['count', 'bigint'], ['stddev', 'float8'],
];

/** Per metric and cohort: count, mean, min, max of the samples taken at or after `since`. */
export async function statsSince(db: Db, env: string, flag: string, since: string, metrics?: string[]): Promise<MetricStats> {
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
    .where('environment', '=', env)
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
export async function recentSamples(db: Db, env: string, flag: string, metric: string, since: string, limit: number) {
  const rows = await db
    .selectFrom('metric_samples')
    .select(['at', 'value', 'cohort', 'stage', 'count', 'stddev'])
    .where('environment', '=', env)
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
export async function metricNamesSince(db: Db, env: string, flag: string, since: string, after: string | undefined, limit: number): Promise<string[]> {
  let q = db.selectFrom('metric_samples').select('metric').distinct().where('environment', '=', env).where('flag', '=', flag).where('at', '>=', since);
  if (after !== undefined) q = q.where('metric', '>', after);
  const rows = await q.orderBy('metric').limit(limit).execute();
  return rows.map((r) => r.metric);
}

/** Deletes up to `batch` raw samples received before `cutoff` (retention). */
export function pruneSamples(storage: Pick<StorageLane, 'deleteOldest'>, db: Db, cutoff: string, batch: number): Promise<number> {
  return storage.deleteOldest(db, 'metric_samples', 'received_at', cutoff, batch);
}
