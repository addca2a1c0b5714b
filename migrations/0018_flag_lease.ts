import type { Kysely } from 'kysely';

/**
 * The fail-safe lease (issue 15): `max_stale_seconds` on a flag. An SDK that has heard nothing
 * from the server for longer serves the flag's off value until it hears again; null (the
 * default, and every flag before this migration) keeps the last-known value forever.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('flags').addColumn('max_stale_seconds', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('flags').dropColumn('max_stale_seconds').execute();
}
