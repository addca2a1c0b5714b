import type { Kysely } from 'kysely';
import { setIntegerWidth } from '../server/storage/migration-sql.js';

/**
 * 0014's rule for the columns added since (0015, 0017, 0018): on PostgreSQL every integer column
 * is `bigint` but the small enumerations, so no count (an aggregate sample's `count` may be any
 * size an evaluation job sends) can overflow 4 bytes. A no-op on SQLite.
 */
const WIDENED: ReadonlyArray<readonly [table: string, column: string]> = [
  ['metric_samples', 'count'],
  ['replicas', 'sdk_count'],
  ['flags', 'max_stale_seconds'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of WIDENED) await setIntegerWidth(db, table, column, 'bigint');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of [...WIDENED].reverse()) await setIntegerWidth(db, table, column, 'integer');
}
