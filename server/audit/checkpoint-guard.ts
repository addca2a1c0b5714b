import fs from 'node:fs';
import path from 'node:path';
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { GENESIS_HASH, entryHash } from './audit-hash.js';
import type { AuditCheckpoint } from './checkpoint-sign.js';

/**
 * What a server checks before it signs a checkpoint, so that it never launders a rewritten
 * audit: the checkpoint it last signed (remembered in memory and in CHECKPOINT_LOG, outside the
 * database) must still be in the store, unchanged; the entry it vouched for must still have the
 * hash it signed; and every entry from there to the head must link and hash. A database
 * rewritten and re-hashed, with its checkpoints deleted, fails the first or second test; one
 * edited after the last checkpoint fails the third. Returns the problem, or null.
 */
export async function problemBeforeSigning(trx: Transaction<Database>, anchor: AuditCheckpoint | null, headSeq: number): Promise<string | null> {
  let prev = GENESIS_HASH;
  let from = 0;
  if (anchor) {
    const stored = await trx.selectFrom('audit_checkpoints').select(['signature']).where('seq', '=', anchor.seq).executeTakeFirst();
    if (!stored || stored.signature !== anchor.signature) {
      return `checkpoint ${anchor.seq} (signed ${anchor.at}), the last this server signed, is ${stored ? 'altered' : 'missing'} in the database: checkpoints were deleted or replaced`;
    }
    const entry = await trx.selectFrom('audit').select(['hash']).where('seq', '=', anchor.seq).executeTakeFirst();
    if (entry?.hash !== anchor.head) {
      return `entry ${anchor.seq} no longer has the hash checkpoint ${anchor.seq} signed (${anchor.head}): the chain was rewritten`;
    }
    prev = anchor.head;
    from = anchor.seq;
  }
  for (let next = from + 1; next <= headSeq; ) {
    const rows = await trx.selectFrom('audit').selectAll().where('seq', '>', next - 1).where('seq', '<=', headSeq).orderBy('seq', 'asc').limit(1000).execute();
    if (rows.length === 0) return `entry ${next} is missing`;
    for (const row of rows) {
      if (row.seq !== next) return `entry ${next} is missing: the next entry has seq ${row.seq}`;
      if (row.prev_hash !== prev) return `entry ${row.seq} does not link to the entry before it`;
      if (entryHash(prev, row) !== row.hash) return `entry ${row.seq} was altered: its content does not match its hash`;
      prev = row.hash;
      next++;
    }
  }
  return null;
}

/**
 * CHECKPOINT_LOG: every checkpoint this server signs, appended as a JSON line (0600) to a file
 * outside the database, so `switchyard verify-audit --checkpoints FILE` can check a database
 * against them even after the stored ones were deleted. Its last line is the server's anchor
 * across restarts.
 */
export class CheckpointLog {
  constructor(readonly file: string) {}

  append(c: AuditCheckpoint): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    fs.appendFileSync(this.file, JSON.stringify(c) + '\n', { mode: 0o600 });
  }

  /** The last checkpoint in the file, or null (no file, or nothing readable in it). */
  last(): AuditCheckpoint | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    const lines = text.trim().split('\n').filter(Boolean);
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const c = JSON.parse(lines[i]!) as AuditCheckpoint;
        if (typeof c.seq === 'number' && typeof c.head === 'string' && typeof c.signature === 'string') return c;
      } catch {
        // a torn last line (a crash mid-append): the one before it is the anchor
      }
    }
    return null;
  }
}
