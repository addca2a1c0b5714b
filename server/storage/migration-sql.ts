import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely, type RawBuilder } from 'kysely';
import type { StorageKind } from './storage.js';

/**
 * What the few kind-specific statements of the migrations ask, decided here. One list of
 * migrations serves SQLite and PostgreSQL; only triggers, some column types and SQLite-only
 * functions differ. Kysely's Migrator hands a migration the bare handle, so this reads the kind
 * off its adapter (the only place outside the openers that knows the kinds).
 */
function kindOf(db: Kysely<any>): StorageKind {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

function onPg(db: Kysely<any>): boolean {
  return kindOf(db) === 'postgres';
}

/** An auto-numbered primary key: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT; PostgreSQL's identity column. */
export function serialPrimaryKey(db: Kysely<any>): (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return (c) => (onPg(db) ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement());
}

/** The text of `field` of the JSON in text column `column`. */
export function jsonText(db: Kysely<any>, column: string, field: string): RawBuilder<string | null> {
  return onPg(db) ? sql`(${sql.ref(column)}::jsonb ->> ${sql.lit(field)})` : sql`json_extract(${sql.ref(column)}, ${sql.lit(`$.${field}`)})`;
}

/** Whether `field` of the JSON in text column `column` is `true`. */
export function jsonIsTrue(db: Kysely<any>, column: string, field: string): RawBuilder<boolean> {
  return onPg(db) ? sql`((${sql.ref(column)}::jsonb -> ${sql.lit(field)}) = 'true'::jsonb)` : sql`(json_extract(${sql.ref(column)}, ${sql.lit(`$.${field}`)}) = 1)`;
}

/** An 8-byte float: SQLite's `real` is one; PostgreSQL's `real` is 4 bytes, so `double precision` there. */
export function float8(db: Kysely<any>): 'real' | 'double precision' {
  return onPg(db) ? 'double precision' : 'real';
}

/** Raw bytes: `blob` in SQLite, `bytea` in PostgreSQL. */
export function bytes(db: Kysely<any>): 'blob' | 'bytea' {
  return onPg(db) ? 'bytea' : 'blob';
}

/**
 * Makes `table` append-only: the database refuses every UPDATE and DELETE of it. SQLite: two
 * triggers that RAISE(ABORT); PostgreSQL: a plpgsql function raising an exception, fired before
 * each row update/delete and before TRUNCATE.
 */
export async function appendOnly(db: Kysely<any>, table: string, message: string): Promise<void> {
  const t = sql.table(table);
  if (onPg(db)) {
    const fn = sql.id(`${table}_append_only`);
    await sql`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${sql.raw(message)}' USING ERRCODE = 'insufficient_privilege'; END $$`.execute(db);
    await sql`CREATE TRIGGER ${sql.id(`${table}_no_update`)} BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}()`.execute(db);
    await sql`CREATE TRIGGER ${sql.id(`${table}_no_delete`)} BEFORE DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}()`.execute(db);
    await sql`CREATE TRIGGER ${sql.id(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`.execute(db);
    return;
  }
  await sql`CREATE TRIGGER ${sql.id(`${table}_no_update`)} BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${sql.raw(message)}'); END`.execute(db);
  await sql`CREATE TRIGGER ${sql.id(`${table}_no_delete`)} BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, '${sql.raw(message)}'); END`.execute(db);
}

/** Undoes appendOnly (before the table is dropped). */
export async function dropAppendOnly(db: Kysely<any>, table: string): Promise<void> {
  if (onPg(db)) {
    const t = sql.table(table);
    for (const suffix of ['no_truncate', 'no_delete', 'no_update']) await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_${suffix}`)} ON ${t}`.execute(db);
    await sql`DROP FUNCTION IF EXISTS ${sql.id(`${table}_append_only`)}()`.execute(db);
    return;
  }
  await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_no_delete`)}`.execute(db);
  await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_no_update`)}`.execute(db);
}

/**
 * PostgreSQL: changes an integer column's type (`bigint` to widen a 4-byte `integer`, `integer`
 * to undo it); an identity column's sequence follows. SQLite: nothing (its INTEGER is 8 bytes).
 */
export async function setIntegerWidth(db: Kysely<any>, table: string, column: string, type: 'bigint' | 'integer'): Promise<void> {
  if (!onPg(db)) return;
  await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN ${sql.id(column)} TYPE ${sql.raw(type)}`.execute(db);
  const identity = await sql<{ seq: string | null }>`SELECT pg_get_serial_sequence(${table}, ${column}) AS seq`.execute(db);
  const seq = identity.rows[0]?.seq;
  if (seq) await sql`ALTER SEQUENCE ${sql.raw(seq)} AS ${sql.raw(type)}`.execute(db);
}

/** An 8-byte integer column: `bigint` on PostgreSQL (0014's rule), `integer` on SQLite (8 bytes already, and its AUTOINCREMENT needs the name). */
export function int8(db: Kysely<any>): 'bigint' | 'integer' {
  return onPg(db) ? 'bigint' : 'integer';
}

/**
 * After rows were copied into `table` with their ids: PostgreSQL's identity sequence of `column`
 * restarts after the largest id, so the next generated one cannot collide. SQLite's
 * AUTOINCREMENT follows explicit ids by itself: nothing to do there.
 */
export async function restartSerial(db: Kysely<any>, table: string, column: string): Promise<void> {
  if (!onPg(db)) return;
  await sql`SELECT setval(pg_get_serial_sequence(${table}, ${column}), coalesce(max(${sql.ref(column)}), 0) + 1, false) FROM ${sql.table(table)}`.execute(db);
}
