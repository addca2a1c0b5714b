import type { Kysely } from 'kysely';
import { float8 } from '../server/storage/migration-sql.js';

/**
 * Evidence (issue 15). A raw metric sample may be an aggregate: `count` observations (1 for a
 * single value, as every older row) with their sample standard deviation `stddev` (null for a
 * single value); `value` holds the mean. A sign-off records the gate snapshot the PM saw
 * (`snapshot`, JSON) and lapses by itself (`lapsed_at`, `lapse_reason`, and which check moved to
 * which outcome) when a later evaluation moves a check it covered out of pass.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('metric_samples').addColumn('count', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('metric_samples').addColumn('stddev', float8(db)).execute();
  for (const column of ['snapshot', 'lapsed_at', 'lapse_reason', 'lapse_metric', 'lapse_outcome']) {
    await db.schema.alterTable('signoffs').addColumn(column, 'text').execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['lapse_outcome', 'lapse_metric', 'lapse_reason', 'lapsed_at', 'snapshot']) {
    await db.schema.alterTable('signoffs').dropColumn(column).execute();
  }
  await db.schema.alterTable('metric_samples').dropColumn('stddev').execute();
  await db.schema.alterTable('metric_samples').dropColumn('count').execute();
}
