import type { VerifyResult, AuditEntry, Role } from '@switchyard-flags/sdk/api';
import type { Db } from '../storage/schema.js';
import { GENESIS_HASH, entryHash } from './audit-hash.js';
import { iterateAudit, listAudit, toAuditEntry, type AuditFilter } from './audit-store.js';
import { exportChunks, type ExportFormat, type ExportSource } from './audit-export.js';

/** About how many bytes of JSON one audit page holds before it ends with a cursor. */
export const PAGE_BYTES = 1024 * 1024;
const PAGE_BATCH = 50;

export class AuditService {
  /** `exportSource`: where an export's worker thread reads (audit-export.ts); without it the main thread does. */
  constructor(private readonly db: Db, private readonly exportSource?: ExportSource) {}

  /**
   * Newest first, at most `limit` entries and about PAGE_BYTES of JSON: rows are read in small
   * batches and the page ends at the entry that passes the byte budget (always at least one),
   * with `next` pointing at the rest. A page's cost is bounded whatever the entries hold.
   */
  async list(f: AuditFilter, cursor: number | undefined, limit: number): Promise<{ entries: AuditEntry[]; next: number | null }> {
    const entries: AuditEntry[] = [];
    let bytes = 0;
    let before = cursor;
    for (;;) {
      const want = Math.min(limit - entries.length, PAGE_BATCH);
      const rows = await listAudit(this.db, f, before, want + 1);
      for (const [i, row] of rows.slice(0, want).entries()) {
        const e = toAuditEntry(row);
        entries.push(e);
        bytes += JSON.stringify(e).length + 1;
        if (bytes >= PAGE_BYTES) return { entries, next: i < rows.length - 1 ? row.seq : null };
      }
      if (rows.length <= want) return { entries, next: null };
      if (entries.length >= limit) return { entries, next: entries[entries.length - 1]!.seq };
      before = entries[entries.length - 1]!.seq;
    }
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

  /** `GET /api/audit/export`'s bytes after its header, as `role` may see them (audit-export.ts). */
  exportChunks(f: AuditFilter, format: ExportFormat, role: Role | 'system' | undefined): AsyncGenerator<string | Uint8Array> {
    return exportChunks(this.db, this.exportSource, f, format, role);
  }

  entries(f: AuditFilter): AsyncGenerator<AuditEntry> {
    const rows = iterateAudit(this.db, f);
    return (async function* () {
      for await (const r of rows) yield toAuditEntry(r);
    })();
  }
}
