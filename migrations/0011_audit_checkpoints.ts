import { sql, type Kysely } from 'kysely';

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
  await sql`CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END`.execute(db);
  await sql`CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS audit_checkpoints_no_delete`.execute(db);
  await sql`DROP TRIGGER IF EXISTS audit_checkpoints_no_update`.execute(db);
  await db.schema.dropTable('audit_checkpoints').execute();
}
