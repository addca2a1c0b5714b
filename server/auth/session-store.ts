import type { Selectable } from 'kysely';
import type { Db, SessionTable } from '../storage/schema.js';

/** The `sessions` table (migrations/0025): every query on it is here. Times are epoch ms. */
export type SessionRow = Selectable<SessionTable>;

export async function insertSession(db: Db, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** The session whose cookie hashes to `tokenHash`, whatever its state (the caller decides). */
export function sessionByHash(db: Db, tokenHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export function sessionById(db: Db, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves `last_seen_at` forward (never back: two replicas touching at once keep the later). */
export async function touchSession(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).where('last_seen_at', '<', at).execute();
}

/** Marks a live session revoked; false when it already was (or does not exist). */
export async function revokeSession(db: Db, id: string, at: number, by: string): Promise<boolean> {
  const r = await db.updateTable('sessions').set({ revoked_at: at, revoked_by: by }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Sessions neither revoked nor past their absolute end, newest first (the idle check is the caller's). */
export function openSessions(db: Db, now: number, limit: number): Promise<SessionRow[]> {
  return db.selectFrom('sessions').selectAll().where('revoked_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').limit(limit).execute();
}

/** Deletes sessions that ended (expired or revoked) before `before`. */
export async function deleteEndedSessions(db: Db, before: number): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
