import { sql, type Kysely } from 'kysely';
import { float8 } from '../server/storage/migration-sql.js';

/** The largest magnitude a metric value, mean or standard deviation may have (server/samples/sample-bounds.ts). */
const VALUE_BOUND = 1e12;

/**
 * Evidence that one sample cannot poison (issue 20 #2, #3).
 *
 * `metric_aggregates` keeps count, mean and M2 (Σ(x − mean)²), merged by Chan's parallel Welford
 * update, instead of sum and sum of squares, which overflowed to infinity on one wide sample and
 * lost the spread to rounding when the mean was large. Existing rows are converted; a row that
 * is not finite, or holds values outside today's bounds (|x| ≤ 1e12), is evidence no bounded
 * sample could have made: it is dropped, and its stage run starts again with no evidence (which
 * holds the gate; it never passes by default).
 *
 * `metric_reporters` records which token subjects sent samples of a stage run's metric, so a gate
 * can say how many reporters its evidence comes from.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('metric_aggregates').addColumn('mean', float8(db), (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('metric_aggregates').addColumn('m2', float8(db), (c) => c.notNull().defaultTo(0)).execute();
  const rows = await db.selectFrom('metric_aggregates').select(['flag', 'since', 'stage', 'metric', 'cohort', 'count', 'sum', 'sumsq', 'min', 'max']).execute();
  for (const r of rows) {
    const key = db
      .updateTable('metric_aggregates')
      .where('flag', '=', r.flag)
      .where('since', '=', r.since)
      .where('stage', '=', r.stage)
      .where('metric', '=', r.metric)
      .where('cohort', '=', r.cohort);
    const n = Number(r.count);
    const sum = Number(r.sum);
    const mean = sum / n;
    const m2 = Math.max(0, Number(r.sumsq) - sum * mean);
    const inBounds = [mean, Number(r.min), Number(r.max)].every((x) => Number.isFinite(x) && Math.abs(x) <= VALUE_BOUND) && Number.isFinite(m2);
    if (inBounds) {
      await key.set({ mean, m2 }).execute();
    } else {
      await db.deleteFrom('metric_aggregates').where('flag', '=', r.flag).where('since', '=', r.since).where('stage', '=', r.stage).where('metric', '=', r.metric).where('cohort', '=', r.cohort).execute();
    }
  }
  await db.schema.alterTable('metric_aggregates').dropColumn('sum').execute();
  await db.schema.alterTable('metric_aggregates').dropColumn('sumsq').execute();

  await db.schema
    .createTable('metric_reporters')
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('reporter', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_reporters_pk', ['flag', 'since', 'stage', 'metric', 'reporter'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('metric_reporters').execute();
  await db.schema.alterTable('metric_aggregates').addColumn('sum', float8(db), (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('metric_aggregates').addColumn('sumsq', float8(db), (c) => c.notNull().defaultTo(0)).execute();
  await sql`UPDATE metric_aggregates SET sum = mean * count, sumsq = m2 + mean * mean * count`.execute(db);
  await db.schema.alterTable('metric_aggregates').dropColumn('m2').execute();
  await db.schema.alterTable('metric_aggregates').dropColumn('mean').execute();
}
