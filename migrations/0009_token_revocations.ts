import type { Kysely } from 'kysely';

/**
 * Revoked user tokens: one row per revocation, either of one token (`jti`) or of every
 * token of a subject issued before a time (`sub` + `before`, epoch seconds).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('token_revocations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('jti', 'text')
    .addColumn('sub', 'text')
    .addColumn('before', 'integer')
    .addColumn('revoked_at', 'text', (c) => c.notNull())
    .addColumn('revoked_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .execute();
  await db.schema.createIndex('token_revocations_jti').on('token_revocations').column('jti').execute();
  await db.schema.createIndex('token_revocations_sub').on('token_revocations').columns(['sub', 'before']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('token_revocations').execute();
}
