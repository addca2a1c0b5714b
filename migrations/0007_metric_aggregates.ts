import { sql, type Kysely } from 'kysely';
import { float8 } from '../server/storage/migration-sql.js';

/**
 * Running aggregates of metric samples per flag, stage run, metric and cohort (count, sum, sum of
 * squares, min, max), updated in the samples' own transaction: gates and guardrails read one row
 * per metric and cohort instead of scanning every sample of the stage. A stage run is keyed by
 * its stage number and its start (`since`), so a stage entered again after a rollback starts
 * with no evidence. Count, sum and sum of squares are what a sequential test needs, and an
 * aggregate sample {count, mean, stddev} folds in exactly. The current stage runs of existing
 * flags are backfilled from their samples here.
 *
 * `metric_names` holds every metric name a flag has reported (with when it was last seen), for
 * the per-flag cap on distinct names; indexes on the receive time and the day let retention
 * prune the raw rows in small batches without a scan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('metric_aggregates')
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('cohort', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('sum', float8(db), (c) => c.notNull())
    .addColumn('sumsq', float8(db), (c) => c.notNull())
    .addColumn('min', float8(db), (c) => c.notNull())
    .addColumn('max', float8(db), (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_aggregates_pk', ['flag', 'since', 'stage', 'metric', 'cohort'])
    .execute();
  await db.schema
    .createTable('metric_names')
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_names_pk', ['flag', 'metric'])
    .execute();
  await db.schema.createIndex('metric_samples_received_at').on('metric_samples').column('received_at').execute();
  await db.schema.createIndex('flag_usage_day').on('flag_usage').column('day').execute();
  await db.schema.createIndex('flag_reach_day').on('flag_reach').column('day').execute();
  await db.schema.createIndex('metric_names_last_seen').on('metric_names').column('last_seen_at').execute();
  await sql`INSERT INTO metric_aggregates (flag, stage, since, metric, cohort, count, sum, sumsq, min, max, updated_at)
    SELECT f.key, f.stage, coalesce(f.stage_started_at, f.created_at), s.metric, s.cohort,
           count(*), sum(s.value), sum(s.value * s.value), min(s.value), max(s.value), max(s.received_at)
    FROM metric_samples s JOIN flags f ON f.key = s.flag
    WHERE s.at >= coalesce(f.stage_started_at, f.created_at)
    GROUP BY f.key, s.metric, s.cohort`.execute(db);
  await sql`INSERT INTO metric_names (flag, metric, last_seen_at)
    SELECT flag, metric, max(received_at) FROM metric_samples GROUP BY flag, metric`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('metric_samples_received_at').execute();
  await db.schema.dropIndex('flag_usage_day').execute();
  await db.schema.dropIndex('flag_reach_day').execute();
  await db.schema.dropTable('metric_names').execute();
  await db.schema.dropTable('metric_aggregates').execute();
}
