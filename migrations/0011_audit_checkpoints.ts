import type { Kysely } from 'kysely';
import { appendOnly, dropAppendOnly } from '../server/storage/migration-sql.js';

/**
 * Signed audit checkpoints (sequence, head hash, time, Ed25519 signature by a key kept outside
 * the database). Not audit entries themselves: see server/audit/audit-checkpoints.ts. Append-only
 * like the audit, though their protection is the signature, not the triggers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('head', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();
  await appendOnly(db, 'audit_checkpoints', 'audit checkpoints are append-only');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropAppendOnly(db, 'audit_checkpoints');
  await db.schema.dropTable('audit_checkpoints').execute();
}
