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
}

/**
 * The signed bytes: the UTF-8 JSON array `["switchyard.audit-checkpoint.v1", seq, head, at]`.
 * A fixed-order array, like the entry hash: any implementation can rebuild it exactly.
 */
export function checkpointMessage(c: { seq: number; head: string; at: string }): Buffer {
  return Buffer.from(JSON.stringify(['switchyard.audit-checkpoint.v1', c.seq, c.head, c.at]));
}

export function signCheckpoint(key: CheckpointKey, c: { seq: number; head: string; at: string }): AuditCheckpoint {
  if (!key.privateKey) throw new Error('the checkpoint key has no private half here');
  return { ...c, keyId: key.keyId, signature: crypto.sign(null, checkpointMessage(c), key.privateKey).toString('base64url') };
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
