import type { Kysely } from 'kysely';

/**
 * Admin UI sessions from an OIDC sign-in (server/auth/session-*.ts), in the database so every
 * replica of a cluster knows them and a restart keeps them. The cookie holds an opaque random
 * id; only its SHA-256 (`token_hash`) is stored. `id` is the public handle admins list and revoke
 * by. Times are epoch milliseconds (`bigint`: PostgreSQL's `integer` ends in 2038 in seconds and
 * in 1970 in milliseconds). `claims` is the JSON of the claims the role was decided from.
 * The CSRF token is derived from the cookie's id with the signing secret, so it is not stored.
 * Independent of every other migration of this round.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('sub', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('claims', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_by', 'text')
    .execute();
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sessions').execute();
}
