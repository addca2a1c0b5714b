import type { Kysely } from 'kysely';

/**
 * The request id an audit entry carries is the server's own; what a client sent as
 * X-Request-Id is kept beside it, in `client_request_id` (null before this migration).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit').addColumn('client_request_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit').dropColumn('client_request_id').execute();
}
