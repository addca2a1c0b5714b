import type { Kysely } from 'kysely';

/**
 * Each audit checkpoint names the previous one: `prev` is checkpointDigest() of the checkpoint
 * before it (server/audit/checkpoint-sign.ts), inside what the signature covers, so checkpoints
 * deleted from the middle of the store are caught like entries removed from the chain. Null for
 * the first checkpoint and for every one signed before this migration (they verify as they were).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_checkpoints').addColumn('prev', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_checkpoints').dropColumn('prev').execute();
}
