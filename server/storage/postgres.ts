import { postgresLimits } from '../limits/limit-stores.js';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { ConfigError } from '../errors.js';
import type { Database, Db } from './schema.js';
import type { LockName, Storage } from './storage.js';
import { WriteGate } from './write-gate.js';

export interface PostgresOptions {
  databaseUrl: string;
  /** Connections of the main pool (DATABASE_POOL_MAX, default 10). */
  databasePoolMax?: number;
  /** verify-audit: PostgreSQL itself refuses any write of the session. */
  readOnly?: boolean;
  /** Told of a pooled connection the server closed (the pool opens a new one). */
  onPoolError?: (err: Error) => void;
}

export interface PostgresStorage extends Storage {
  readonly kind: 'postgres';
}

/** Connections reserved for urgent write transactions (kill, restore, rollback, pause, guardrail trips). */
export const URGENT_POOL_MAX = 2;

/** Advisory lock keys: ASCII "swaudit" (every audited write takes it first) and "swreach" (reach flushes). */
const LOCK_KEYS: Record<LockName, number> = { 'audit-chain': 0x73776175646974, reach: 0x73777265616368 };

/** The NOTIFY channel a committed token revocation is announced on. */
export const REVOCATIONS_CHANNEL = 'switchyard_revocations';

const INT8 = 20;
/** int8 (count(*), sums of integers) as a JS number, as SQLite gives it; the values stay far below 2^53. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * PostgreSQL: Kysely's PostgresDialect on a `pg` pool of `databasePoolMax` connections, plus a
 * second pool of URGENT_POOL_MAX used only by urgent write transactions, so a main pool held by
 * reads or metric ingestion cannot make a kill wait for a connection. Opening connects nothing:
 * `checkIntegrity()` is the first query.
 */
/** Connections of the rate limiters' own pool (server/limits/): a flood of failed logins or metric batches queues there. */
const LIMITS_POOL_MAX = 4;

export function openPostgres(opts: PostgresOptions): PostgresStorage {
  const pool = (max: number, statementTimeoutMs?: number) => {
    // A connection attempt that hangs (PostgreSQL down, a network partition) fails after 5 s
    // instead of holding the request: the caller answers 503 and the client retries.
    const p = new pg.Pool({
      connectionString: opts.databaseUrl,
      types: pgTypes,
      max,
      connectionTimeoutMillis: 5000,
      ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
      ...(opts.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
    });
    // An idle pooled connection the server closed (restart, failover, admin shutdown) is emitted
    // here; without a listener it would crash the process. The pool drops it and the next query
    // opens a new one.
    p.on('error', (err) => opts.onPoolError?.(err));
    // A connection checked out when the server goes away (PostgreSQL stopped mid-transaction) has
    // no pool listener: its "Connection terminated unexpectedly" would crash the process. The
    // query it ran already failed (503) and the pool discards it on release.
    p.on('connect', (client) => client.on('error', () => undefined));
    return p;
  };
  const db: Db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool(opts.databasePoolMax ?? 10) }) });
  const urgentDb: Db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool(URGENT_POOL_MAX) }) });
  const gate = new WriteGate();
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    db,
    gate,
    write: (urgent, fn) => gate.run(urgent, () => (urgent ? urgentDb : db).transaction().execute(fn)),
    // Held until the transaction ends: each audited write reads the chain head only after the one
    // before it (on any replica) committed; reach flushes merge one at a time.
    async lock(trx, name) {
      await sql`SELECT pg_advisory_xact_lock(${sql.lit(LOCK_KEYS[name])})`.execute(trx);
    },
    // `ctid` is the row's physical address, stable within the one statement; `= ANY(ARRAY(…))` is a TID scan.
    async deleteOldest(q, table, column, cutoff, batch) {
      const t = sql.table(table);
      const r = await sql`DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${sql.ref(column)} < ${cutoff} LIMIT ${batch}))`.execute(q);
      return Number(r.numAffectedRows ?? 0);
    },
    async insertMany(q, table, columns, rows) {
      if (rows.length === 0) return;
      const names = sql.join(columns.map(([c]) => sql.ref(c)));
      const arrays = sql.join(columns.map(([c, type]) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(type)}[]`));
      await sql`INSERT INTO ${sql.table(table)} (${names}) SELECT * FROM unnest(${arrays})`.execute(q);
    },
    async notify(trx, what) {
      if (what === 'revocations') await sql`SELECT pg_notify(${REVOCATIONS_CHANNEL}, '')`.execute(trx);
    },
    /** A PostgreSQL that cannot be reached at start is named (host, port, database; never the password). */
    async checkIntegrity() {
      try {
        await sql`SELECT 1`.execute(db);
      } catch (err) {
        const u = new URL(opts.databaseUrl);
        throw new ConfigError(`cannot reach the PostgreSQL database of DATABASE_URL (${u.hostname}:${u.port || 5432}${u.pathname}): ${(err as Error).message || String(err)}; nothing was started (and nothing falls back to SQLite)`);
      }
    },
    /**
     * Revocations committed by another replica or `switchyard revoke-token` arrive as a NOTIFY on
     * the cluster's LISTEN connection (`notices`, which reconnects by itself); a reconnect moves
     * the version too, since a NOTIFY sent while it was down is lost. No `notices` (no cluster):
     * it never moves.
     */
    async revocationSignal(notices) {
      let version = 0;
      const off = notices?.onConnection((connected) => {
        if (connected) version++;
      });
      await notices?.listen(REVOCATIONS_CHANNEL, () => version++);
      return { version: () => version, stop: () => off?.() };
    },
    // A limiter query stuck behind a lock gives up after 2 s (the request then counts in this replica).
    openLimits: () => postgresLimits(pool(LIMITS_POOL_MAX, 2000), true),
    jobs: [],
    clusterUrl: opts.databaseUrl,
    close() {
      closed ??= Promise.all([db.destroy(), urgentDb.destroy()]).then(() => undefined);
      return closed;
    },
  };
}
