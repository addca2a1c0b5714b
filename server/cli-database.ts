import fs from 'node:fs';
import type { Config } from './config.js';
import type { Db } from './storage/schema.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/storage.js';

/** A CLI mistake (exit 2 with the usage); the CLI maps it. */
export class CliInputError extends Error {}

/**
 * The database a CLI command works on, chosen as `switchyard serve` chooses it: PostgreSQL when
 * DATABASE_URL is set (or `--database-url`), else the SQLite file in DATA_DIR. `mustExist`:
 * refuse a missing SQLite file instead of creating one (commands that only change existing data).
 */
export function openCliDatabase(config: Pick<Config, 'databaseUrl' | 'dbFile'>, mustExist: boolean): Storage {
  if (!config.databaseUrl && mustExist && !fs.existsSync(config.dbFile)) throw new CliInputError(`no database at ${config.dbFile} (set DATA_DIR, or DATABASE_URL for PostgreSQL)`);
  return openStorage(config);
}

/** A SQLite database file starts with these 16 bytes (an empty file is no copy of a switchyard database either). */
function isSqliteFile(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    return n === 16 && head.toString('latin1') === 'SQLite format 3\0';
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The database verify-audit reads: a SQLite file given by path (opened read-only: checking never
 * writes), else the PostgreSQL of `--database-url` / DATABASE_URL.
 */
export function openAuditSource(file: string | undefined, databaseUrl: string | undefined): { db: Db; close(): Promise<void> } {
  if (file !== undefined) {
    if (!fs.existsSync(file)) throw new CliInputError(`no such file: ${file}`);
    if (!isSqliteFile(file)) throw new CliInputError(`${file} is not a SQLite database (it does not start with "SQLite format 3"); give a copy of switchyard.db: DATA_DIR/switchyard.db or a file \`switchyard backup\` wrote`);
    return openStorage({ dbFile: file, readOnly: true });
  }
  if (!databaseUrl) throw new CliInputError('missing database file path (or --database-url / DATABASE_URL for PostgreSQL)');
  // Read-only: PostgreSQL itself refuses any write of this session (checking never writes).
  return openStorage({ databaseUrl, dbFile: '', readOnly: true });
}
