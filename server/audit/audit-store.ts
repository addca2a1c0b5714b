import { sql, type Selectable } from 'kysely';
import type { AuditEntry } from '@switchyard-flags/sdk/api';
import { type AuditTable, type Db } from '../storage/schema.js';

export type AuditRow = Selectable<AuditTable>;

export function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    role: r.role,
    action: r.action,
    flag: r.flag,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
    reason: r.reason,
    requestId: r.request_id,
    clientRequestId: r.client_request_id ?? null,
    environment: r.environment ?? null,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditFilter {
  flag?: string;
  /** Entries of this environment's flag actions (issue 23). */
  environment?: string;
  actor?: string;
  /** Exact action (`flag.kill`) or a prefix ending in `.` (`flag.`). */
  action?: string;
  from?: string;
  to?: string;
}

function filtered(db: Db, f: AuditFilter) {
  let q = db.selectFrom('audit').selectAll();
  if (f.flag !== undefined) q = q.where('flag', '=', f.flag);
  if (f.environment !== undefined) q = q.where('environment', '=', f.environment);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.action !== undefined) {
    // A prefix compares as text, not as a LIKE pattern (where `_` and `%` are wildcards);
    // substr(text, 1, n) reads the same on SQLite and PostgreSQL.
    q = f.action.endsWith('.')
      ? q.where(sql<string>`substr(action, 1, ${[...f.action].length})`, '=', f.action)
      : q.where('action', '=', f.action);
  }
  if (f.from !== undefined) q = q.where('at', '>=', f.from);
  if (f.to !== undefined) q = q.where('at', '<', f.to);
  return q;
}

/** Newest first, keyset-paginated on seq: the cost of a page does not grow with the log. */
export async function listAudit(db: Db, f: AuditFilter, beforeSeq: number | undefined, limit: number): Promise<AuditRow[]> {
  let q = filtered(db, f);
  if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
  return q.orderBy('seq', 'desc').limit(limit).execute();
}

/**
 * One page of `iterateAudit`: entries after `after`, oldest first. Its last two parameters are
 * `after` and `limit` (the audit export's worker compiles it once and moves them: audit-export.ts).
 */
export function auditPageQuery(db: Db, f: AuditFilter, after: number, limit: number) {
  return filtered(db, f).where('seq', '>', after).orderBy('seq', 'asc').limit(limit);
}

/** About how many bytes of stored entries one page of `iterateAudit` reads at once. */
export const ITERATE_PAGE_BYTES = 64 * 1024;

/**
 * Oldest first, in keyset pages, without holding the whole log in memory or the event loop: each
 * page is sized from the last one to read about ITERATE_PAGE_BYTES (a read of 1,000 entries of
 * 64 KB held SQLite's one thread for 64 MB; issue 20 #9), and the loop yields to waiting
 * requests (a kill) between pages.
 */
export async function* iterateAudit(db: Db, f: AuditFilter = {}, pageBytes = ITERATE_PAGE_BYTES): AsyncGenerator<AuditRow> {
  let after = 0;
  let batch = 100;
  for (;;) {
    const rows = await auditPageQuery(db, f, after, batch).execute();
    let bytes = 0;
    for (const r of rows) {
      bytes += 256 + (r.before?.length ?? 0) + (r.after?.length ?? 0) + (r.reason?.length ?? 0);
      yield r;
    }
    if (rows.length < batch) return;
    after = rows[rows.length - 1]!.seq;
    batch = Math.min(1000, Math.max(10, Math.floor((batch * pageBytes) / bytes)));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Up to `limit` entries after `seq`, oldest first: what another replica committed (server/cluster/). */
export async function auditRowsAfter(db: Db, seq: number, limit: number): Promise<AuditRow[]> {
  return db.selectFrom('audit').selectAll().where('seq', '>', seq).orderBy('seq', 'asc').limit(limit).execute();
}

export async function auditHead(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  return db.selectFrom('audit').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
}

/** Appends one entry; only the recorder calls this, inside the change's own transaction. */
export async function insertAuditRow(db: Db, row: AuditRow): Promise<void> {
  await db.insertInto('audit').values(row).execute();
}

/** The stored `after` of the newest entry with this action on this flag (null when none or empty). */
export async function lastAuditAfter(db: Db, env: string, flag: string, action: string): Promise<string | null> {
  const last = await db.selectFrom('audit').select('after').where('environment', '=', env).where('flag', '=', flag).where('action', '=', action).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return last?.after ?? null;
}
