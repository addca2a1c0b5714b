import { sql, type Kysely } from 'kysely';
import { inject, it, type TestFunction } from 'vitest';
import { migrate } from '../../server/storage/migrator.js';
import { openStorage } from '../../server/storage/open.js';
import type { Storage } from '../../server/storage/storage.js';
import { SKIPS } from '../database-skips.js';
import { createDatabaseAt, dropDatabase, TEMPLATE_DATABASE } from './postgres.js';

/** The `postgres` and `postgres-unit` projects (vitest.config.ts set SWITCHYARD_TEST_DB): tests run on PostgreSQL. */
export const onPostgres = process.env.SWITCHYARD_TEST_DB === 'postgres';

/**
 * A fresh database of the run's cluster (test/global-setup.ts) on PostgreSQL, already migrated
 * (a copy of the run's template); undefined on SQLite.
 */
export async function testDatabaseUrl(): Promise<string | undefined> {
  if (!onPostgres) return undefined;
  const admin = inject('testPostgresUrl');
  if (!admin) throw new Error('SWITCHYARD_TEST_DB=postgres but no cluster was started (test/global-setup.ts must run: use vitest.config.ts)');
  return await createDatabaseAt(admin, TEMPLATE_DATABASE);
}

/**
 * A migrated database of the project's kind for a unit test: in-memory SQLite, or on PostgreSQL a
 * copy of the run's template, dropped by close().
 */
export async function openTestDatabase(): Promise<Storage> {
  const databaseUrl = await testDatabaseUrl();
  const storage = openStorage({ databaseUrl, dbFile: ':memory:', databasePoolMax: 2 });
  if (!databaseUrl) await migrate(storage.db);
  const close = storage.close.bind(storage);
  return Object.assign(Object.create(storage) as Storage, {
    async close() {
      await close();
      if (databaseUrl) await dropDatabase(databaseUrl);
    },
  });
}

/**
 * A test that runs on SQLite only: `name` must be a key of test/database-skips.ts (the one skip
 * list, where it says why), so a skip is never silent.
 */
export function itSqliteOnly(name: string, fn: TestFunction, timeout?: number): void {
  if (SKIPS[name]?.skip !== 'postgres') throw new Error(`itSqliteOnly: "${name}" is not in test/database-skips.ts with its reason`);
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
