import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { cachingPrepares } from './sqlite-statement-cache.js';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, sql, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type Generated, type Migration, type RawBuilder } from 'kysely';
import { migrations } from '../migrations/index.js';
import { reserveUrgent } from './write-gate.js';

/** Booleans are stored as 0/1 integers and JSON as text, so the schema ports to PostgreSQL. */
export interface FlagTable {
  key: string;
  description: string;
  owner: string;
  tags: string;
  on_value: string;
  off_value: string;
  salt: string;
  version: number;
  archived: number;
  archived_at: string | null;
  archived_by: string | null;
  killed: number;
  killed_by: string | null;
  killed_at: string | null;
  kill_reason: string | null;
  /** The id of the kill that killed the flag (one per kill request), null while live. */
  kill_id: string | null;
  stage: number;
  paused: number;
  paused_by: string | null;
  paused_at: string | null;
  pause_reason: string | null;
  stage_started_at: string | null;
  plan: string | null;
  plan_version: number;
  plan_author: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  state_version: number;
  /** The fail-safe lease in seconds (migration 0018): null = SDKs keep the last-known value forever. */
  max_stale_seconds: number | null;
}

export interface AuditTable {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  flag: string | null;
  before: string | null;
  after: string | null;
  reason: string | null;
  request_id: string | null;
  /** What the client sent as X-Request-Id (migration 0013); hashed only when not null. */
  client_request_id?: string | null;
  prev_hash: string;
  hash: string;
}

import type { SdkKeyKind } from '@switchyard-flags/sdk/api';

export interface SdkKeyTable {
  id: string;
  name: string;
  key_hash: string;
  prefix: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
  /** `server` (full flag states) or `client` (only evaluated answers); migrations/0016. */
  kind: SdkKeyKind;
  /** Secure mode's HMAC secret (hex), null without secure mode; migrations/0020. */
  secure_secret: string | null;
}

export interface MetaTable {
  key: string;
  value: number;
}

export interface PlanVersionTable {
  id: Generated<number>;
  flag: string;
  version: number;
  plan: string;
  author: string;
  created_at: string;
}

export interface SignoffTable {
  id: Generated<number>;
  flag: string;
  plan_version: number;
  stage: number;
  actor: string;
  role: string;
  comment: string;
  at: string;
  /** Set when a plan edit or a rollback voided the sign-off; it then no longer counts. */
  voided_at: string | null;
  void_reason: string | null;
  /** The gate snapshot the PM saw, JSON `SignoffSnapshot` (migration 0017; null on older rows). */
  snapshot: string | null;
  /** Set when a later evaluation moved a check the sign-off covered out of pass; it then no longer counts. */
  lapsed_at: string | null;
  lapse_reason: string | null;
  lapse_metric: string | null;
  lapse_outcome: string | null;
}

export interface MetricSampleTable {
  id: Generated<number>;
  flag: string;
  metric: string;
  /** A single value, or the mean of an aggregate. */
  value: number;
  cohort: string;
  stage: number;
  at: string;
  received_at: string;
  /** Observations in the sample: 1 for a single value (migration 0017). */
  count: Generated<number>;
  /** An aggregate's sample standard deviation (n − 1); null for a single value. */
  stddev: number | null;
}

/** Which flags each kill killed (migration 0006). */
export interface KillMemberTable {
  kill_id: string;
  flag: string;
}

/** Signed audit checkpoints (migration 0011; server/audit/audit-checkpoints.ts). */
export interface AuditCheckpointTable {
  seq: number;
  head: string;
  at: string;
  key_id: string;
  signature: string;
  /** checkpointDigest of the checkpoint before (migrations/0021); null for the first and older ones. */
  prev: string | null;
}

/** Revoked user tokens (migration 0009): by `jti`, or every token of `sub` issued before `before`. */
export interface TokenRevocationTable {
  id: string;
  jti: string | null;
  sub: string | null;
  /** Epoch seconds: tokens of `sub` with an `iat` before this are refused. */
  before: number | null;
  revoked_at: string;
  revoked_by: string;
  reason: string | null;
}

/** `flag_usage` (migrations/0003_telemetry.ts): evaluations per flag, stage, served variant and UTC day. */
export interface FlagUsageTable {
  flag: string;
  stage: number;
  variant: string;
  day: string;
  count: number;
  last_seen_at: string;
}

/** `flag_reach` (migrations/0005_reach.ts): merged distinct-user registers per flag, stage and UTC day. */
export interface FlagReachTable {
  flag: string;
  stage: number;
  day: string;
  regs: Uint8Array;
}

/** `metric_aggregates` (migrations/0007, 0020): running count, mean, M2 (Σ(x − mean)²), min, max per flag, stage run, metric and cohort. */
export interface MetricAggregateTable {
  flag: string;
  stage: number;
  /** When the stage run began (the flag's `stage_started_at`, or its creation before the first stage). */
  since: string;
  metric: string;
  cohort: string;
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  updated_at: string;
}

/** `metric_reporters` (migrations/0020): which token subjects sent samples of a stage run's metric. */
export interface MetricReporterTable {
  flag: string;
  stage: number;
  since: string;
  metric: string;
  reporter: string;
  last_seen_at: string;
}

/** `metric_names` (migrations/0007): every metric name a flag reported, for the per-flag cap. */
export interface MetricNameTable {
  flag: string;
  metric: string;
  last_seen_at: string;
}

/** `replicas` (migrations/0015): one row per running replica of a cluster (server/cluster/replica-store.ts). */
export interface ReplicaTable {
  id: string;
  name: string;
  url: string;
  started_at: number;
  heartbeat_at: number;
  sdk_count: number;
  acks: string;
  state_version: number;
}

/** `leases` (migrations/0015): who runs a cluster-wide job until when (server/cluster/lease-store.ts). */
export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface Database {
  replicas: ReplicaTable;
  leases: LeaseTable;
  audit_checkpoints: AuditCheckpointTable;
  token_revocations: TokenRevocationTable;
  flags: FlagTable;
  kill_members: KillMemberTable;
  audit: AuditTable;
  sdk_keys: SdkKeyTable;
  meta: MetaTable;
  plan_versions: PlanVersionTable;
  signoffs: SignoffTable;
  metric_samples: MetricSampleTable;
  metric_aggregates: MetricAggregateTable;
  metric_reporters: MetricReporterTable;
  metric_names: MetricNameTable;
  flag_usage: FlagUsageTable;
  flag_reach: FlagReachTable;
}

export type Db = Kysely<Database>;

/**
 * Deletes at most `batch` rows of `table` whose `column` is before `cutoff`; returns how many.
 * Each store's prune calls it. SQLite addresses the rows by `rowid`; PostgreSQL by `ctid` (the
 * row's physical address, stable within the one statement; `= ANY(ARRAY(…))` is a TID scan).
 */
export async function deleteOldest<T extends keyof Database & string>(db: Kysely<Database>, table: T, column: keyof Database[T] & string, cutoff: string, batch: number): Promise<number> {
  const t = sql.table(table);
  const r =
    dialectOf(db) === 'postgres'
      ? await sql`DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${sql.ref(column)} < ${cutoff} LIMIT ${batch}))`.execute(db)
      : await sql`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${sql.ref(column)} < ${cutoff} LIMIT ${batch})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * The larger of two values of one row (upserts): SQLite's two-argument `max(a, b)`,
 * PostgreSQL's `GREATEST(a, b)` (its `max` is only the aggregate).
 */
export function greatest<T>(db: Kysely<any>, a: RawBuilder<T>, b: RawBuilder<T>): RawBuilder<T> {
  return dialectOf(db) === 'postgres' ? sql<T>`greatest(${a}, ${b})` : sql<T>`max(${a}, ${b})`;
}

/** The smaller of two values of one row: SQLite's two-argument `min(a, b)`, PostgreSQL's `LEAST(a, b)`. */
export function least<T>(db: Kysely<any>, a: RawBuilder<T>, b: RawBuilder<T>): RawBuilder<T> {
  return dialectOf(db) === 'postgres' ? sql<T>`least(${a}, ${b})` : sql<T>`min(${a}, ${b})`;
}

export interface OpenedDb {
  db: Db;
  /** The raw handle, for the few things Kysely does not do (backup, pragmas). */
  sqlite: SQLite.Database;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the SQLite file. WAL with synchronous=FULL: a change the
 * server acknowledged survives kill -9 and power loss of the host.
 */
export function openDb(file: string): OpenedDb {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SafeRollbackDialect(sqlite) });
  return {
    db,
    sqlite,
    async close() {
      await db.destroy();
    },
  };
}

/**
 * After SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or SQLITE_NOMEM, SQLite may already have rolled
 * the transaction back by itself; Kysely's own ROLLBACK would then fail ("no transaction is
 * active") and hide the real error, turning a clear 503 into a 500.
 */
class SafeRollbackDialect extends SqliteDialect {
  constructor(private readonly sqlite: SQLite.Database) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    const sqlite = this.sqlite;
    return new (class extends SqliteDriver {
      override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
        if (sqlite.inTransaction) await super.rollbackTransaction(connection);
      }
    })({ database: cachingPrepares(sqlite) });
  }
}

/** Which database a handle talks to. */
export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export interface OpenedDatabase {
  dialect: Dialect;
  db: Db;
  /** The SQLite handle (backup, pragmas); undefined on PostgreSQL. */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

const INT8 = 20;
/** int8 (count(*), sums of integers) as a JS number, as SQLite gives it; the values stay far below 2^53. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Connections reserved for urgent write transactions (kill, restore, rollback, pause, guardrail trips). */
export const URGENT_POOL_MAX = 2;

/**
 * `DATABASE_URL=postgres://…` selects PostgreSQL (Kysely's PostgresDialect on a `pg` pool of
 * `poolMax` connections, plus a second pool of URGENT_POOL_MAX used only by urgent write
 * transactions, so a main pool held by reads or metric ingestion cannot make a kill wait for a
 * connection: `writeTransaction(db, true, …)` finds it through `reserveUrgent`); otherwise the
 * SQLite file of openDb.
 */
export function openDatabase(config: { databaseUrl?: string; dbFile: string; databasePoolMax?: number; readOnly?: boolean }, onPoolError?: (err: Error) => void): OpenedDatabase {
  if (config.databaseUrl) {
    const pool = (max: number) => {
      // A connection attempt that hangs (PostgreSQL down, a network partition) fails after 5 s
      // instead of holding the request: the caller answers 503 and the client retries.
      const p = new pg.Pool({
        connectionString: config.databaseUrl,
        types: pgTypes,
        max,
        connectionTimeoutMillis: 5000,
        // readOnly (verify-audit): PostgreSQL itself refuses any write of the session.
        ...(config.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
      });
      // An idle pooled connection the server closed (restart, failover, admin shutdown) is emitted
      // here; without a listener it would crash the process. The pool drops it and the next query
      // opens a new one.
      p.on('error', (err) => onPoolError?.(err));
      // A connection checked out when the server goes away (PostgreSQL stopped mid-transaction) has
      // no pool listener: its "Connection terminated unexpectedly" would crash the process. The
      // query it ran already failed (503) and the pool discards it on release.
      p.on('connect', (client) => client.on('error', () => undefined));
      return p;
    };
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool(config.databasePoolMax ?? 10) }) });
    const urgent = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool(URGENT_POOL_MAX) }) });
    reserveUrgent(db, urgent);
    return {
      dialect: 'postgres',
      db,
      async close() {
        await Promise.all([db.destroy(), urgent.destroy()]);
      },
    };
  }
  const opened = openDb(config.dbFile);
  return { dialect: 'sqlite', ...opened };
}

export class MigrationFailed extends Error {
  constructor(
    readonly migration: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `database migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'MigrationFailed';
  }
}

function migrator(db: Db): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
  });
}

/** Runs every pending migration (SQLite or PostgreSQL); throws MigrationFailed naming the one that failed. */
export async function migrate(db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationFailed(failed?.migrationName, error);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Rolls back the last applied migration (`down`); returns its name, or undefined when none was applied. */
export async function migrateDown(db: Db): Promise<string | undefined> {
  const { error, results } = await migrator(db).migrateDown();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationFailed(failed?.migrationName, error);
  }
  return results?.find((r) => r.status === 'Success')?.migrationName;
}

// SQLite-only maintenance (docs/architecture.md, "Portability"): the pragmas live here, nowhere else.

/** `PRAGMA quick_check`: "ok", or what is damaged. */
export function quickCheck(opened: OpenedDb): string {
  return String(opened.sqlite.pragma('quick_check', { simple: true }));
}

/** Stops SQLite checkpointing the WAL inside whichever commit crosses the threshold (the server checkpoints on a timer). */
export function disableAutoCheckpoint(opened: OpenedDb): void {
  opened.sqlite.pragma('wal_autocheckpoint = 0');
}

/** Moves only when another connection (another process) committed: SQLite's `PRAGMA data_version`. */
export function dataVersion(opened: OpenedDb): number {
  return opened.sqlite.pragma('data_version', { simple: true }) as number;
}

/** Copies what it can of the WAL into the database file without waiting for readers. */
export function checkpointWal(opened: OpenedDb): void {
  opened.sqlite.pragma('wal_checkpoint(PASSIVE)');
}
