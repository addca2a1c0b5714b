import type SQLite from 'better-sqlite3';
import type { TestServer } from './server.js';

/**
 * Everything a refused request must leave untouched, read straight from the server's SQLite
 * handle: every flag row, the audit head, and the size of every other table.
 */
export function dbState(ts: TestServer | SQLite.Database): string {
  const db = 'running' in ts ? ts.running.opened.sqlite : ts;
  const one = (q: string) => db.prepare(q).get();
  return JSON.stringify({
    flags: db.prepare('select * from flags order by key').all(),
    audit: one('select count(*) as n, max(seq) as seq, (select hash from audit order by seq desc limit 1) as head from audit'),
    meta: db.prepare('select * from meta order by key').all(),
    plans: one('select count(*) as n from plan_versions'),
    signoffs: one('select count(*) as n, count(voided_at) as voided from signoffs'),
    samples: one('select count(*) as n from metric_samples'),
    keys: one('select count(*) as n, count(revoked_at) as revoked from sdk_keys'),
  });
}
