import { sql, type Kysely } from 'kysely';

/**
 * SDK keys come in two kinds: `server` keys (backends) read full flag states, as every key did
 * before this migration; `client` keys (browsers, mobile) get only answers evaluated for the
 * context they send (OFREP). Existing keys are server keys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sdk_keys').addColumn('kind', 'text', (c) => c.notNull().defaultTo(sql`'server'`)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sdk_keys').dropColumn('kind').execute();
}
