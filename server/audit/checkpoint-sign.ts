import crypto from 'node:crypto';
import type { CheckpointKey } from './checkpoint-key.js';

/** A signed statement "the audit chain's entry `seq` had hash `head`", made at `at`. */
export interface AuditCheckpoint {
  seq: number;
  head: string;
  at: string;
  keyId: string;
  /** Ed25519 over checkpointMessage(), base64url. */
  signature: string;
  /** checkpointDigest() of the checkpoint before this one; absent on the first (and on those signed before it existed). */
  prev?: string;
}

type Unsigned = { seq: number; head: string; at: string; prev?: string };

/**
 * The signed bytes: the UTF-8 JSON array `["switchyard.audit-checkpoint.v2", seq, head, at, prev]`
 * for a checkpoint that names the one before it, `["switchyard.audit-checkpoint.v1", seq, head, at]`
 * for the first one (and those signed before checkpoints were linked). A fixed-order array, like
 * the entry hash: any implementation can rebuild it exactly.
 */
export function checkpointMessage(c: Unsigned): Buffer {
  if (c.prev) return Buffer.from(JSON.stringify(['switchyard.audit-checkpoint.v2', c.seq, c.head, c.at, c.prev]));
  return Buffer.from(JSON.stringify(['switchyard.audit-checkpoint.v1', c.seq, c.head, c.at]));
}

/** What the next checkpoint names as its `prev`: SHA-256 hex of the checkpoint's signed message and its signature. */
export function checkpointDigest(c: AuditCheckpoint): string {
  return crypto.createHash('sha256').update(checkpointMessage(c)).update('\n').update(c.signature).digest('hex');
}

export function signCheckpoint(key: CheckpointKey, c: Unsigned): AuditCheckpoint {
  if (!key.privateKey) throw new Error('the checkpoint key has no private half here');
  const base = { seq: c.seq, head: c.head, at: c.at, ...(c.prev ? { prev: c.prev } : {}) };
  return { ...base, keyId: key.keyId, signature: crypto.sign(null, checkpointMessage(base), key.privateKey).toString('base64url') };
}

/** Why a checkpoint's signature does not hold with any of `keys`, or null when it does. */
export function signatureProblem(c: AuditCheckpoint, keys: CheckpointKey[]): string | null {
  const key = keys.find((k) => k.keyId === c.keyId);
  if (!key) return `checkpoint ${c.seq} names key ${c.keyId}, which is not one of the public keys given (${keys.map((k) => k.keyId).join(', ')}): its signature cannot be trusted (in a cluster, every replica must use the same CHECKPOINT_KEY_FILE)`;
  let ok = false;
  try {
    ok = crypto.verify(null, checkpointMessage(c), key.publicKey, Buffer.from(c.signature, 'base64url'));
  } catch {
    ok = false;
  }
  return ok ? null : `checkpoint ${c.seq} (at ${c.at}): its signature does not verify with key ${c.keyId}: it was forged or altered`;
}
