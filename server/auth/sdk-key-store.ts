import type { Selectable } from 'kysely';
import type { SdkKeyKind } from '@switchyard-flags/sdk/api';
import type { Db, SdkKeyTable } from '../storage/schema.js';

/** The `sdk_keys` table (migrations/0001): every query on it is here. Keys are stored as SHA-256 hashes. */
export type SdkKeyRow = Selectable<SdkKeyTable>;

export async function insertSdkKey(db: Db, row: SdkKeyRow): Promise<void> {
  await db.insertInto('sdk_keys').values(row).execute();
}

/** Every key, revoked ones included, oldest first. */
export async function listSdkKeyRows(db: Db): Promise<SdkKeyRow[]> {
  return db.selectFrom('sdk_keys').selectAll().orderBy('created_at').execute();
}

export async function getSdkKeyRow(db: Db, id: string): Promise<SdkKeyRow | undefined> {
  return db.selectFrom('sdk_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markSdkKeyRevoked(db: Db, id: string, at: string, by: string): Promise<void> {
  await db.updateTable('sdk_keys').set({ revoked_at: at, revoked_by: by }).where('id', '=', id).execute();
}

/** The live (not revoked) key with this hash: one indexed read. */
export async function liveSdkKeyByHash(db: Db, keyHash: string): Promise<{ id: string; name: string; kind: SdkKeyKind; secure_secret: string | null; environment: string } | undefined> {
  return db.selectFrom('sdk_keys').select(['id', 'name', 'kind', 'secure_secret', 'environment']).where('key_hash', '=', keyHash).where('revoked_at', 'is', null).executeTakeFirst();
}
