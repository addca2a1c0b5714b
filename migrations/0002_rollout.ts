import type { Kysely } from 'kysely';
import { float8, serialPrimaryKey } from '../server/storage/migration-sql.js';

/** Rollout plans (every version kept), PM sign-offs bound to a plan version and stage, metric samples. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // SQLite: an INTEGER PRIMARY KEY AUTOINCREMENT; PostgreSQL: an identity column.
  const serial = serialPrimaryKey(db);
  await db.schema
    .createTable('plan_versions')
    .addColumn('id', 'integer', serial)
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('plan_versions_flag_version', ['flag', 'version'])
    .execute();

  await db.schema
    .createTable('signoffs')
    .addColumn('id', 'integer', serial)
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('plan_version', 'integer', (c) => c.notNull())
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('voided_at', 'text')
    .addColumn('void_reason', 'text')
    .execute();
  await db.schema.createIndex('signoffs_flag_plan_stage').on('signoffs').columns(['flag', 'plan_version', 'stage']).execute();

  await db.schema
    .createTable('metric_samples')
    .addColumn('id', 'integer', serial)
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('value', float8(db), (c) => c.notNull())
    .addColumn('cohort', 'text', (c) => c.notNull())
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('metric_samples_flag_metric_at').on('metric_samples').columns(['flag', 'metric', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('metric_samples').execute();
  await db.schema.dropTable('signoffs').execute();
  await db.schema.dropTable('plan_versions').execute();
}
