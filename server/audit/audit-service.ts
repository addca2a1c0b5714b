import type { VerifyResult } from '../../sdk/src/api.js';
import type { Db } from '../db.js';
import { GENESIS_HASH, entryHash } from './audit-hash.js';
import { iterateAudit, listAudit, toAuditEntry, type AuditEntry, type AuditFilter } from './audit-store.js';

export type { VerifyResult };

export class AuditService {
  constructor(private readonly db: Db) {}

  async list(f: AuditFilter, cursor: number | undefined, limit: number): Promise<{ entries: AuditEntry[]; next: number | null }> {
    const rows = await listAudit(this.db, f, cursor, limit + 1);
    const page = rows.slice(0, limit);
    return {
      entries: page.map(toAuditEntry),
      next: rows.length > limit ? page[page.length - 1]!.seq : null,
    };
  }

  /**
   * Recomputes the chain from the first entry, streaming. Reports the first entry whose
   * hash, link or sequence number does not hold: an edited entry breaks its own hash, a
   * removed one breaks the next entry's link and the sequence. With `expectHead` (a head
   * hash kept outside the server) it also catches entries cut off the end of the log.
   */
  async verify(expectHead?: string): Promise<VerifyResult> {
    let prev = GENESIS_HASH;
    let sawExpected = expectHead === undefined;
    let expectedSeq = 1;
    let count = 0;
    for await (const row of iterateAudit(this.db)) {
      const bad = (problem: string): VerifyResult => ({ ok: false, count, firstBad: row.seq, problem, head: prev });
      if (row.seq !== expectedSeq) return bad(`entry ${expectedSeq} is missing: the next entry has seq ${row.seq}`);
      if (row.prev_hash !== prev) return bad(`entry ${row.seq} does not link to the entry before it (prevHash mismatch)`);
      if (entryHash(prev, row) !== row.hash) return bad(`entry ${row.seq} was altered: its content does not match its hash`);
      prev = row.hash;
      if (row.hash === expectHead) sawExpected = true;
      expectedSeq++;
      count++;
    }
    if (!sawExpected) {
      return {
        ok: false,
        count,
        firstBad: null,
        problem: `the known head ${expectHead} is not in the chain: entries were removed from its end or it was rebuilt`,
        head: prev,
      };
    }
    return { ok: true, count, head: prev };
  }

  entries(f: AuditFilter): AsyncGenerator<AuditEntry> {
    const rows = iterateAudit(this.db, f);
    return (async function* () {
      for await (const r of rows) yield toAuditEntry(r);
    })();
  }
}
