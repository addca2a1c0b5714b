import type { Kysely } from 'kysely';

/**
 * Limits that count across the replicas of a cluster (server/limits/):
 * - `rate_limits`, the fixed-window counters of `rate-limiter-flexible`'s RateLimiterPostgres
 *   (the auth-failure limiter and the sample rate limiters on PostgreSQL). Created here, not by
 *   the library (it is given `tableCreated: true`), with the library's columns: `key`, `points`,
 *   `expire` (ms since the epoch, null for never). `points` is bigint: an observation limit may
 *   count past 2^31 in a window.
 * - `replicas.key_streams`, each replica's live stream count per SDK key as JSON
 *   `{"<key id>": count}`, written with every heartbeat, so MAX_CONNECTIONS_PER_KEY sums them.
 * Both dialects get them; a single SQLite node counts in memory and never writes them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('points', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', 'bigint')
    .execute();
  await db.schema.createIndex('rate_limits_expire').on('rate_limits').column('expire').execute();
  await db.schema.alterTable('replicas').addColumn('key_streams', 'text', (c) => c.notNull().defaultTo('{}')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('replicas').dropColumn('key_streams').execute();
  await db.schema.dropTable('rate_limits').execute();
}
