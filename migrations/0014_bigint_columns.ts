import type { Kysely } from 'kysely';
import { setIntegerWidth } from '../server/storage/migration-sql.js';

/**
 * PostgreSQL's `integer` is 4 bytes (SQLite's is 8): every column holding epoch time or a counter
 * that only grows becomes `bigint` there. `token_revocations.before` (epoch seconds) would
 * overflow in January 2038; the state version, audit sequence numbers, row ids and summed
 * counts grow for as long as the server runs. A no-op on SQLite.
 */
export const WIDENED: ReadonlyArray<readonly [table: string, column: string]> = [
  ['token_revocations', 'before'],
  ['meta', 'value'],
  ['flags', 'state_version'],
  ['flags', 'version'],
  ['flags', 'plan_version'],
  ['audit', 'seq'],
  ['audit_checkpoints', 'seq'],
  ['plan_versions', 'id'],
  ['plan_versions', 'version'],
  ['signoffs', 'id'],
  ['signoffs', 'plan_version'],
  ['metric_samples', 'id'],
  ['metric_aggregates', 'count'],
  ['flag_usage', 'count'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of WIDENED) await setIntegerWidth(db, table, column, 'bigint');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of [...WIDENED].reverse()) await setIntegerWidth(db, table, column, 'integer');
}
