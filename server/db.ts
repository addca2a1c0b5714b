/**
 * Transition only (issue 22): the table types, the migrator and two deprecated openers, re-exported
 * from server/storage/ so the files other branches edit this session still compile. New code
 * imports server/storage/* directly; the lead removes this file once every import moved.
 */
import { openStorage, type StorageConfig } from './storage/open.js';
import { openSqlite, type SqliteStorage } from './storage/sqlite.js';
import type { Storage, StorageKind } from './storage/storage.js';

export * from './storage/schema.js';
export { migrate, migrateDown, MigrationFailed } from './storage/migrator.js';
export type { Storage, StorageKind } from './storage/storage.js';

/** @deprecated openSqlite({ dbFile }) */
export type OpenedDb = SqliteStorage;
/** @deprecated Storage */
export type OpenedDatabase = Storage & { dialect: StorageKind };

/** @deprecated openSqlite({ dbFile: file }) */
export function openDb(file: string): SqliteStorage {
  return openSqlite({ dbFile: file });
}

/** @deprecated openStorage(config) */
export function openDatabase(config: StorageConfig): OpenedDatabase {
  const s = openStorage(config);
  return Object.assign(s, { dialect: s.kind });
}
