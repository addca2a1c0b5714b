import type { JobSpec } from '../jobs.js';
import type { LimitStores } from '../limits/limit-stores.js';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Database, Db } from './schema.js';
import type { WriteGate } from './write-gate.js';

/** The database kinds; only server/storage/ ever branches on one. */
export type StorageKind = 'sqlite' | 'postgres';

/** The column types insertMany casts PostgreSQL arrays to. */
export type PgColumnType = 'text' | 'float8' | 'int' | 'bigint';

/** Named locks held until the transaction ends (PostgreSQL: advisory locks; SQLite: its one writer already serialises). */
export type LockName = 'audit-chain' | 'reach';

/** Background work a storage asks the server's job scheduler to run (server/jobs.ts). */
export type StorageJob = JobSpec;

/** Moves when another process (or replica) committed a change of `what`; `stop()` releases what it holds. */
export interface ChangeSignal {
  version(): number;
  stop(): void;
}

/** A LISTEN connection shared with the cluster's change bus (server/cluster/pg-change-bus.ts). */
export interface NoticeSource {
  listen(channel: string, handler: (payload: string) => void): Promise<void>;
  /** Called with true when the connection is (re)established, false when it drops. */
  onConnection(listener: (connected: boolean) => void): () => void;
}

/**
 * What stores and services need of the storage besides the Kysely handle: the write lane, the
 * named locks and the one dialect-specific statement. A narrow port, so a unit test can hand in
 * an in-memory SQLite storage.
 */
export interface StorageLane {
  readonly db: Db;
  /** A write transaction through the one write gate; `urgent` for safety actions (kill, restore, rollback, pause, guardrail trips). */
  write<T>(urgent: boolean, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Takes `name` until `trx` ends. */
  lock(trx: Transaction<Database>, name: LockName): Promise<void>;
  /** Deletes at most `batch` rows of `table` whose `column` is before `cutoff`; returns how many. */
  deleteOldest<T extends keyof Database & string>(q: Db | Transaction<Database>, table: T, column: keyof Database[T] & string, cutoff: string, batch: number): Promise<number>;
  /**
   * Inserts many rows of `table` at once, each row's `columns` in order. SQLite: multi-row
   * INSERTs sized under its 32,766 bound variables (in-process calls, no round trip to save).
   * PostgreSQL: ONE statement whose columns are bound as arrays and spread by `unnest` (a round
   * trip per statement is what ingestion pays there, and a few parameters parse far faster than
   * thousands); `columns` gives each column's PostgreSQL type for the array cast.
   */
  insertMany<T extends keyof Database & string>(q: Db | Transaction<Database>, table: T, columns: Array<[keyof Database[T] & string, PgColumnType]>, rows: Array<Record<string, unknown>>): Promise<void>;
  /** Signals `what` changed to the other processes, on commit of `trx` (SQLite: `data_version` already does). */
  notify(trx: Transaction<Database>, what: 'revocations'): Promise<void>;
}

/**
 * One database: its Kysely handle, write gate and urgent lane, named locks, integrity check,
 * change signals, background jobs and `close()`. Built by openSqlite / openPostgres
 * (openStorage picks by DATABASE_URL: the one place that decides).
 */
export interface Storage extends StorageLane {
  readonly kind: StorageKind;
  /** Every write transaction goes through it, urgent ones first. */
  readonly gate: WriteGate;
  /** SQLite's raw handle (backup, file inspection in tests); undefined on PostgreSQL. */
  readonly sqlite?: SQLite.Database;
  /** Refuses a damaged or unreachable database at start (throws a ConfigError saying what to do). */
  checkIntegrity(): Promise<void>;
  /**
   * Moves when another process committed a revocation. SQLite: `data_version`. PostgreSQL: a
   * NOTIFY heard on `notices` (the cluster's LISTEN connection).
   */
  revocationSignal(notices?: NoticeSource): Promise<ChangeSignal>;
  /**
   * Where the rate limits and the per-key stream cap count (server/limits/): SQLite, in this
   * process; PostgreSQL, in `rate_limits`, which every replica shares, on a small pool of its own
   * (never the urgent one, never the main one). The caller closes it.
   */
  openLimits(): LimitStores;
  /** Background work the server schedules while it serves (SQLite: WAL checkpoints). */
  readonly jobs: StorageJob[];
  /**
   * Set when several servers may share this database (PostgreSQL): the connection string of the
   * cluster's dedicated LISTEN connection (server/cluster/). Unset: one server per database.
   */
  readonly clusterUrl?: string;
  /** What `/readyz` reports of the data dir (SQLite: whether this process still holds its lock). */
  lockHeld?: () => boolean;
  close(): Promise<void>;
}

/** `SELECT` helpers both kinds write the same way (no decision needed). */
export function larger<T>(a: RawBuilder<T>, b: RawBuilder<T>): RawBuilder<T> {
  return caseOf(a, '>=', b);
}

export function smaller<T>(a: RawBuilder<T>, b: RawBuilder<T>): RawBuilder<T> {
  return caseOf(a, '<=', b);
}

function caseOf<T>(a: RawBuilder<T>, op: '>=' | '<=', b: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`(CASE WHEN ${a} ${sql.raw(op)} ${b} THEN ${a} ELSE ${b} END)`;
}

/** An 8-byte float cast: PostgreSQL's `double precision`; SQLite reads the same name as REAL (type affinity "DOUB"). */
export function asFloat8(ref: string): RawBuilder<number> {
  return sql<number>`cast(${sql.ref(ref)} as double precision)`;
}
