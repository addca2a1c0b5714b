import type { Kysely } from 'kysely';

/**
 * Evaluation telemetry: how many evaluations SDKs served, per flag, stage, served variant
 * (`on`, `off`, `fallback`) and UTC day. Data, not a change: never audited.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('flag_usage')
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flag_usage_pk', ['flag', 'stage', 'variant', 'day'])
    .execute();
  await db.schema.createIndex('flag_usage_last_seen').on('flag_usage').columns(['flag', 'last_seen_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('flag_usage').execute();
}
