import { MEMORY_LIMITS } from '../limits/limit-stores.js';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { checkIntegrity, lockDataDir, prepareDataDir, type DataDirLock } from '../data-dir.js';
import type { Database, Db } from './schema.js';
import { StatementCache } from './statement-cache.js';
import type { Storage, StorageJob } from './storage.js';
import { WriteGate } from './write-gate.js';

export interface SqliteOptions {
  /** The database file (`:memory:` for unit tests). */
  dbFile: string;
  /**
   * The server's DATA_DIR: the file is made 0600 and the directory's one-server lock is taken
   * (released by `close()`). Unset for one-off commands and unit tests.
   */
  lockDir?: string;
  /** Opened read-only (verify-audit): the file must exist and nothing is written. */
  readOnly?: boolean;
  /** How often the WAL is checkpointed by the `wal_checkpoint` job (ms). */
  checkpointEveryMs?: number;
}

export interface SqliteStorage extends Storage {
  readonly kind: 'sqlite';
  readonly sqlite: SQLite.Database;
  /** The prepared statements the driver reuses (tests read `prepared`). */
  readonly statements: StatementCache;
}

/**
 * Opens (creating if needed) the SQLite file. WAL with synchronous=FULL: a change the server
 * acknowledged survives kill -9 and power loss of the host. One connection, one write gate.
 */
export function openSqlite(opts: SqliteOptions): SqliteStorage {
  let lock: DataDirLock | undefined;
  if (opts.lockDir !== undefined) {
    prepareDataDir(opts.lockDir, opts.dbFile);
    lock = lockDataDir(opts.lockDir);
  } else if (opts.dbFile !== ':memory:' && !opts.readOnly) {
    fs.mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true });
  }
  let sqlite: SQLite.Database;
  try {
    sqlite = opts.readOnly ? new SQLite(opts.dbFile, { readonly: true, fileMustExist: true }) : new SQLite(opts.dbFile);
    if (!opts.readOnly) {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = FULL');
      sqlite.pragma('foreign_keys = ON');
    }
    sqlite.pragma('busy_timeout = 5000');
  } catch (err) {
    lock?.release();
    throw err;
  }
  // A server (it holds DATA_DIR) checkpoints on a timer (the `wal_checkpoint` job), so no commit
  // (a kill's) pays for copying the WAL; a one-off command leaves it to SQLite.
  const serving = lock !== undefined;
  if (serving) sqlite.pragma('wal_autocheckpoint = 0');
  const statements = new StatementCache(sqlite);
  const db: Db = new Kysely<Database>({ dialect: new SafeRollbackDialect(sqlite, statements) });
  const gate = new WriteGate();
  let queued = false;
  const checkpoint: StorageJob = {
    name: 'wal_checkpoint',
    everyMs: opts.checkpointEveryMs ?? 1000,
    // Through the write gate, where a kill waiting goes first; one checkpoint queued at most, so
    // behind a long write the ticks do not pile up. A busy or failed checkpoint is retried on the
    // next tick; the WAL keeps every change meanwhile.
    async run() {
      if (queued) return;
      queued = true;
      try {
        await gate.run(false, async () => sqlite.pragma('wal_checkpoint(PASSIVE)'));
      } catch {
        // retried on the next tick
      } finally {
        queued = false;
      }
    },
  };
  let closed: Promise<void> | undefined;
  const storage: SqliteStorage = {
    kind: 'sqlite',
    db,
    gate,
    sqlite,
    statements,
    write: (urgent, fn) => gate.run(urgent, () => db.transaction().execute(fn)),
    // One connection, one writer: a write transaction already excludes every other.
    lock: async () => undefined,
    async deleteOldest(q, table, column, cutoff, batch) {
      const t = sql.table(table);
      const r = await sql`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${sql.ref(column)} < ${cutoff} LIMIT ${batch})`.execute(q);
      return Number(r.numAffectedRows ?? 0);
    },
    async insertMany(q, table, columns, rows) {
      const per = Math.max(1, Math.floor(32_000 / columns.length));
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per).map((r) => Object.fromEntries(columns.map(([c]) => [c, r[c] ?? null])));
        await q.insertInto(table).values(chunk as never).execute();
      }
    },
    // `data_version` moves when another connection committed: nothing to send.
    notify: async () => undefined,
    async checkIntegrity() {
      checkIntegrity(sqlite, opts.dbFile);
    },
    async revocationSignal() {
      return { version: () => sqlite.pragma('data_version', { simple: true }) as number, stop: () => undefined };
    },
    // One server per SQLite file: its limits count in its own memory.
    openLimits: () => MEMORY_LIMITS,
    jobs: serving ? [checkpoint] : [],
    lockHeld: lock ? () => lock.held() : undefined,
    close() {
      closed ??= (async () => {
        try {
          await db.destroy();
        } finally {
          lock?.release();
        }
      })();
      return closed;
    },
  };
  return storage;
}

/**
 * After SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or SQLITE_NOMEM, SQLite may already have rolled
 * the transaction back by itself; Kysely's own ROLLBACK would then fail ("no transaction is
 * active") and hide the real error, turning a clear 503 into a 500. Statements come from the cache.
 */
class SafeRollbackDialect extends SqliteDialect {
  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly statements: StatementCache,
  ) {
    super({ database: statements.asDatabase() });
  }

  override createDriver(): Driver {
    const sqlite = this.sqlite;
    return new (class extends SqliteDriver {
      override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
        if (sqlite.inTransaction) await super.rollbackTransaction(connection);
      }
    })({ database: this.statements.asDatabase() });
  }
}
