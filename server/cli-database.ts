import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Config } from './config.js';
import { openDatabase, type Database, type OpenedDatabase } from './db.js';

/** A CLI mistake (exit 2 with the usage); the CLI maps it. */
export class CliInputError extends Error {}

/**
 * The database a CLI command works on, chosen as `switchyard serve` chooses it: PostgreSQL when
 * DATABASE_URL is set (or `--database-url`), else the SQLite file in DATA_DIR. `mustExist`:
 * refuse a missing SQLite file instead of creating one (commands that only change existing data).
 */
export function openCliDatabase(config: Pick<Config, 'databaseUrl' | 'dbFile'>, mustExist: boolean): OpenedDatabase {
  if (!config.databaseUrl && mustExist && !fs.existsSync(config.dbFile)) throw new CliInputError(`no database at ${config.dbFile} (set DATA_DIR, or DATABASE_URL for PostgreSQL)`);
  return openDatabase(config);
}

/**
 * The database verify-audit reads: a SQLite file given by path (opened read-only: checking never
 * writes), else the PostgreSQL of `--database-url` / DATABASE_URL.
 */
export function openAuditSource(file: string | undefined, databaseUrl: string | undefined): { db: Kysely<Database>; close(): Promise<void> } {
  if (file !== undefined) {
    if (!fs.existsSync(file)) throw new CliInputError(`no such file: ${file}`);
    const sqlite = new SQLite(file, { readonly: true, fileMustExist: true });
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, close: () => db.destroy() };
  }
  if (!databaseUrl) throw new CliInputError('missing database file path (or --database-url / DATABASE_URL for PostgreSQL)');
  // Read-only: every transaction of this session refuses to write.
  const opened = openDatabase({ databaseUrl, dbFile: '', readOnly: true });
  return { db: opened.db, close: () => opened.close() };
}
