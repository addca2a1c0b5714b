import { sql } from 'kysely';
import type { Db } from './storage/schema.js';

/**
 * The `meta` table (key → integer): the global state version and the readiness probe's counter.
 * Every query on it is here.
 */

/** Takes the next global state version. Every change that affects evaluation takes one. */
export async function nextStateVersion(trx: Db): Promise<number> {
  const row = await trx
    .updateTable('meta')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('key', '=', 'state_version')
    .returning('value')
    .executeTakeFirstOrThrow();
  return row.value;
}

/** The global state version as stored (0 before the first change). */
export async function currentStateVersion(db: Db): Promise<number> {
  const meta = await db.selectFrom('meta').select('value').where('key', '=', 'state_version').executeTakeFirst();
  return meta?.value ?? 0;
}

/** The readiness probe's write: a real row change, so a database that refuses writes is seen. SQLite/PostgreSQL upsert. */
export async function writeReadinessProbe(trx: Db, n: number): Promise<void> {
  await sql`insert into meta (key, value) values ('readiness_probe', ${n}) on conflict (key) do update set value = excluded.value`.execute(trx);
}
