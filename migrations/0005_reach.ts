import type { Kysely } from 'kysely';
import { bytes } from '../server/storage/migration-sql.js';

/**
 * Reach telemetry: per flag, stage and UTC day, the merged HyperLogLog registers (64 bytes,
 * per-register max) of the distinct users SDKs served the flag's `on` value to. Data, not a
 * change: never audited.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('flag_reach')
    .addColumn('flag', 'text', (c) => c.notNull().references('flags.key'))
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('regs', bytes(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('flag_reach_pk', ['flag', 'stage', 'day'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('flag_reach').execute();
}
