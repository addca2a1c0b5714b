import type { Kysely } from 'kysely';

/**
 * The cluster's own tables (server/cluster/): `replicas`, one row per running replica with its
 * heartbeat and its SDKs' acknowledgement figures, and `leases`, one row per job that must run
 * on one replica at a time. Both dialects get them; a single SQLite node never writes them.
 * Times are milliseconds since the epoch, read from the database's clock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('replicas')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
    .addColumn('sdk_count', 'integer', (c) => c.notNull().defaultTo(0))
    // The acknowledged versions of its SDKs as JSON [[version, count], ...] (server/cluster/ack-figures.ts).
    .addColumn('acks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('state_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('leases').execute();
  await db.schema.dropTable('replicas').execute();
}
