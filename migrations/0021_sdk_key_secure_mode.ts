import type { Kysely } from 'kysely';

/**
 * Secure mode for client keys (server/auth/secure-mode.ts): `secure_secret` is the per-key
 * secret the app's backend signs each context's `targetingKey` with (HMAC-SHA256, hex); null for
 * a key without secure mode (every key before this migration). The server must hold it to check
 * signatures, as with webhook secrets: it is answered once at creation and never listed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sdk_keys').addColumn('secure_secret', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sdk_keys').dropColumn('secure_secret').execute();
}
