import type { Kysely } from 'kysely';

/**
 * Every kill (one flag, by tag, all, a guardrail trip) has an id, stored on each flag it killed
 * until the flag is restored, so a restore can undo exactly one kill (`POST /api/restore {killId}`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('flags').addColumn('kill_id', 'text').execute();
  await db.schema.createIndex('flags_kill_id').on('flags').column('kill_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('flags_kill_id').execute();
  await db.schema.alterTable('flags').dropColumn('kill_id').execute();
}
