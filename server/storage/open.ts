import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import type { Storage } from './storage.js';

export interface StorageConfig {
  /** `postgres://…` selects PostgreSQL; unset: the SQLite file `dbFile`. */
  databaseUrl?: string;
  dbFile: string;
  databasePoolMax?: number;
  readOnly?: boolean;
}

/**
 * The one place that picks the database kind: PostgreSQL when DATABASE_URL is set, else SQLite.
 * `serve.lockDir` (the server's DATA_DIR) makes SQLite take the directory's one-server lock;
 * PostgreSQL needs none (replicas share the database).
 */
export function openStorage(config: StorageConfig, serve: { lockDir?: string; onPoolError?: (err: Error) => void } = {}): Storage {
  if (config.databaseUrl) return openPostgres({ databaseUrl: config.databaseUrl, databasePoolMax: config.databasePoolMax, readOnly: config.readOnly, onPoolError: serve.onPoolError });
  return openSqlite({ dbFile: config.dbFile, lockDir: serve.lockDir, readOnly: config.readOnly });
}
