import type { VerifyResult } from '@switchyard-flags/sdk/api';
import type { Db } from '../storage/schema.js';
import { AuditService } from './audit-service.js';
import type { CheckpointKey } from './checkpoint-key.js';
import { checkpointDigest, signatureProblem, type AuditCheckpoint } from './checkpoint-sign.js';
import { entryHashAt } from './checkpoint-store.js';

/** The chain's verify result, plus what the signed checkpoints say about it. */
export type CheckpointVerifyResult = VerifyResult & {
  /** `unvouched`: entries after the latest checkpoint checked, which no signature covers yet. */
  checkpoints: { checked: number; latest: { seq: number; at: string } | null; unvouched: number };
  /** The first checkpoint that does not hold (forged, or the chain no longer matches it). */
  checkpoint?: { seq: number; at: string };
};

/**
 * Verifies the chain, then every checkpoint against it: each signature with the public keys
 * given (never a key read from the database being checked), and each signed head against the
 * stored hash of its entry. An intact chain whose entry `seq` still has the signed hash holds
 * entries 1..seq exactly as they were signed, so a re-hashed chain fails at the first
 * checkpoint at or after the edit. Entries after the last checkpoint are vouched for by nothing.
 */
export async function verifyWithCheckpoints(
  db: Db,
  opts: { expectHead?: string; checkpoints: AuditCheckpoint[]; keys: CheckpointKey[] },
): Promise<CheckpointVerifyResult> {
  const chain = await new AuditService(db).verify(opts.expectHead);
  const report: CheckpointVerifyResult['checkpoints'] = { checked: 0, latest: null, unvouched: chain.count };
  if (!chain.ok) return { ...chain, checkpoints: report };
  const fail = (c: AuditCheckpoint, problem: string): CheckpointVerifyResult => ({
    ok: false,
    count: chain.count,
    firstBad: null,
    problem,
    head: chain.head,
    checkpoints: report,
    checkpoint: { seq: c.seq, at: c.at },
  });
  // The same checkpoint may come twice (stored, and in a CHECKPOINT_LOG): once is enough.
  const unique = new Map(opts.checkpoints.map((c) => [`${c.seq} ${c.signature}`, c]));
  const sorted = [...unique.values()].sort((a, b) => a.seq - b.seq);
  const digests = new Set(sorted.map(checkpointDigest));
  let vouched = 0;
  for (const [i, c] of sorted.entries()) {
    const sig = signatureProblem(c, opts.keys);
    if (sig) return fail(c, sig);
    if (c.prev && i > 0 && !digests.has(c.prev)) {
      return fail(c, `checkpoint ${c.seq} (signed ${c.at}) names a previous checkpoint that is not among the checkpoints checked: checkpoints between seq ${sorted[i - 1]!.seq} and ${c.seq} were deleted (on PostgreSQL, pass every replica's CHECKPOINT_LOG)`);
    }
    if (c.seq > chain.count) {
      return fail(c, `checkpoint ${c.seq} (signed ${c.at}) vouches for entry ${c.seq}, but the chain ends at entry ${chain.count}: entries ${chain.count + 1} to ${c.seq} at least are missing (cut off the end)`);
    }
    const stored = await entryHashAt(db, c.seq);
    if (stored !== c.head) {
      return fail(
        c,
        `checkpoint ${c.seq} (signed ${c.at}) no longer matches: entry ${c.seq} has hash ${stored}, the checkpoint signed ${c.head}; ` +
          `the chain was rewritten and re-hashed at or before entry ${c.seq}` +
          (vouched ? ` and after entry ${vouched}, which the checkpoint before still vouches for` : ''),
      );
    }
    vouched = c.seq;
    report.checked++;
    report.latest = { seq: c.seq, at: c.at };
    report.unvouched = chain.count - c.seq;
  }
  return { ...chain, checkpoints: report };
}
