import { sql, type Kysely } from 'kysely';
import type { TestServer } from './server.js';

/**
 * Everything a refused request must leave untouched, read through the server's Kysely handle
 * (SQLite or PostgreSQL alike): every flag row, the audit head, and the size of every other table.
 */
export async function dbState(ts: TestServer | Kysely<any>): Promise<string> {
  const db: Kysely<any> = 'running' in ts ? ts.running.storage.db : ts;
  const all = async (q: ReturnType<typeof sql>) => (await q.execute(db)).rows;
  const one = async (q: ReturnType<typeof sql>) => (await all(q))[0];
  return JSON.stringify({
    flags: await all(sql`select * from flags order by key`),
    audit: await one(sql`select count(*) as n, max(seq) as seq, (select hash from audit order by seq desc limit 1) as head from audit`),
    meta: await all(sql`select * from meta order by key`),
    plans: await one(sql`select count(*) as n from plan_versions`),
    signoffs: await one(sql`select count(*) as n, count(voided_at) as voided from signoffs`),
    samples: await one(sql`select count(*) as n from metric_samples`),
    keys: await one(sql`select count(*) as n, count(revoked_at) as revoked from sdk_keys`),
  });
}
