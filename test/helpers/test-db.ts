import { sql, type Kysely } from 'kysely';
import { inject, it, type TestFunction } from 'vitest';
import { createDatabaseAt } from './postgres.js';

/** `SWITCHYARD_TEST_DB=postgres` (`npm run test:pg`): test servers run on PostgreSQL. */
export const onPostgres = process.env.SWITCHYARD_TEST_DB === 'postgres';

/** A fresh database of the run's cluster (test/global-setup.ts) on PostgreSQL; undefined on SQLite. */
export async function testDatabaseUrl(): Promise<string | undefined> {
  if (!onPostgres) return undefined;
  const admin = inject('testPostgresUrl');
  if (!admin) throw new Error('SWITCHYARD_TEST_DB=postgres but no cluster was started (test/global-setup.ts must run: use vitest.config.ts)');
  return await createDatabaseAt(admin);
}

/**
 * The only tests skipped on PostgreSQL, each with why: they inspect or damage the SQLite file
 * itself, which a PostgreSQL server does not have. `itSqliteOnly(name, …)` accepts only a name
 * listed here, so a skip is never silent.
 */
export const SKIPPED_ON_POSTGRES = {
} as const satisfies Record<string, string>;

export function itSqliteOnly(name: keyof typeof SKIPPED_ON_POSTGRES, fn: TestFunction, timeout?: number): void {
  (onPostgres ? it.skip : it)(name, fn, timeout);
}

/**
 * Lets a test tamper with the audit trail the way someone with database access could: the
 * append-only trigger for `which` is dropped (SQLite) or disabled (PostgreSQL, as its owner).
 */
export async function auditTriggerOff(db: Kysely<any>, which: 'update' | 'delete'): Promise<void> {
  const trigger = sql.id(`audit_no_${which}`);
  if (onPostgres) await sql`ALTER TABLE audit DISABLE TRIGGER ${trigger}`.execute(db);
  else await sql`DROP TRIGGER ${trigger}`.execute(db);
}
