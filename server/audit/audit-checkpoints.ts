import type { ChangeBus } from '../changes.js';
import type { Clock } from '../clock.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log.js';
import type { StorageLane } from '../storage/storage.js';
import { auditHead } from './audit-store.js';
import { publicKeyView, type CheckpointKey, type CheckpointPublicKey } from './checkpoint-key.js';
import { checkpointDigest, signCheckpoint, type AuditCheckpoint } from './checkpoint-sign.js';
import { allCheckpoints, insertCheckpoint, latestCheckpoint, listCheckpoints } from './checkpoint-store.js';
import { verifyWithCheckpoints, type CheckpointVerifyResult } from './checkpoint-verify.js';
import { CheckpointLog, problemBeforeSigning } from './checkpoint-guard.js';

export interface CheckpointDeps {
  db: Db;
  storage: StorageLane;
  clock: Clock;
  key: CheckpointKey;
  log: Logger;
  /** Take a checkpoint once the head is this many entries past the last one. */
  every: number;
  /** In a cluster, whether this replica holds the job lease: only it signs (it hears every replica's entries). */
  runs?: () => boolean;
  /** CHECKPOINT_LOG: every signed checkpoint is appended here too (outside the database). */
  logFile?: string;
}

/**
 * Signs the audit head (seq, hash, time) with a key kept outside the database, every `every`
 * entries and on a timer when the head moved. A copy of the database re-hashed after an edit
 * then no longer matches a checkpoint, and nobody without the key file can sign a new one.
 *
 * A checkpoint is not an audit entry: it records no change to anything, only a statement about
 * the chain; as an entry it would move the very head it signs (so the timer would never find
 * the head at rest), and kept in the chain it would be no harder to rewrite than the chain. Its
 * protection is the signature. Checkpoints are written through the write gate as ordinary
 * (non-urgent) work, so a kill queued behind one goes first.
 */
export class AuditCheckpoints {
  private last = 0;
  private queued = false;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(c: AuditCheckpoint) => void>();
  /** The checkpoint this server last signed (or, at start, CHECKPOINT_LOG's last): what the store must still hold. */
  private anchor: AuditCheckpoint | null = null;
  private refusal: string | null = null;
  private readonly file?: CheckpointLog;

  constructor(private readonly deps: CheckpointDeps) {
    if (deps.logFile) this.file = new CheckpointLog(deps.logFile);
  }

  /** Why this server refuses to sign checkpoints now (/readyz, /metrics), or null. */
  get refused(): string | null {
    return this.refusal;
  }

  /** Reads the last checkpoint, counts entries from it, and takes one whenever `every` more have landed. */
  async attach(bus: ChangeBus): Promise<() => void> {
    const stored = await latestCheckpoint(this.deps.db);
    this.anchor = this.file?.last() ?? stored;
    this.last = stored?.seq ?? 0;
    return bus.subscribe((e) => {
      if (e.type === 'audit' && e.entry.seq - this.last >= this.deps.every) this.request();
    });
  }

  /**
   * The `audit_checkpoint` job's run (server/server-jobs.ts, at start and every
   * CHECKPOINT_INTERVAL_MS, on the lease holder): a checkpoint if the head moved, queued behind
   * one running; rejects when it fails (the scheduler logs and counts it).
   */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const run = this.chain.then(() => this.take()).then(() => undefined);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Takes no more checkpoints; resolves once none is waiting or running. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  /** Asks for a checkpoint; at most one waits behind the one running (it signs the head as it is then). */
  request(): void {
    if (this.queued || this.stopped || (this.deps.runs && !this.deps.runs())) return;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      try {
        await this.take();
      } catch (err) {
        this.deps.log.warn({ err }, 'audit checkpoint failed; it is retried on the next entry or tick');
      }
    });
  }

  /** Resolves when no requested checkpoint is waiting or running. */
  async settled(): Promise<void> {
    for (let c = this.chain; ; c = this.chain) {
      await c;
      if (c === this.chain) return;
    }
  }

  /** Signs and stores a checkpoint of the head now, or returns null when the head has not moved since the last. */
  async take(): Promise<AuditCheckpoint | null> {
    const cp = await this.deps.storage.write(false, async (trx) => {
      // PostgreSQL: under the audit chain's lock, so two replicas never sign the same head twice.
      await this.deps.storage.lock(trx, 'audit-chain');
      const head = await auditHead(trx);
      const latest = await latestCheckpoint(trx);
      if (!head || (latest && latest.seq >= head.seq && this.refusal === null)) return null;
      const problem = await problemBeforeSigning(trx, this.anchor, head.seq);
      if (problem) {
        if (problem !== this.refusal) this.deps.log.error({ problem, head: head.seq }, `refusing to sign an audit checkpoint over head ${head.seq}: ${problem}; run switchyard verify-audit --checkpoints CHECKPOINT_LOG (docs/runbook.md)`);
        this.refusal = problem;
        return null;
      }
      this.refusal = null;
      if (latest && latest.seq >= head.seq) return null;
      const signed = signCheckpoint(this.deps.key, { seq: head.seq, head: head.hash, at: this.deps.clock().toISOString(), ...(latest ? { prev: checkpointDigest(latest) } : {}) });
      await insertCheckpoint(trx, signed);
      return signed;
    });
    if (cp) {
      this.anchor = cp;
      try {
        this.file?.append(cp);
      } catch (err) {
        this.deps.log.error({ err, file: this.file?.file }, 'could not append the audit checkpoint to CHECKPOINT_LOG');
      }
      this.last = Math.max(this.last, cp.seq);
      this.deps.log.debug({ seq: cp.seq, keyId: cp.keyId }, 'audit checkpoint signed');
      for (const l of this.listeners) l(cp);
    }
    return cp;
  }

  onCheckpoint(listener: (c: AuditCheckpoint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get publicKey(): CheckpointPublicKey {
    return publicKeyView(this.deps.key);
  }

  /** The chain, and every stored checkpoint against it with this server's key (copies kept elsewhere: `switchyard verify-audit --checkpoints`). */
  async verify(): Promise<CheckpointVerifyResult> {
    return verifyWithCheckpoints(this.deps.db, { checkpoints: await allCheckpoints(this.deps.db), keys: [this.deps.key] });
  }

  async list(cursor: number | undefined, limit: number): Promise<{ checkpoints: AuditCheckpoint[]; next: number | null }> {
    const rows = await listCheckpoints(this.deps.db, cursor, limit + 1);
    const page = rows.slice(0, limit);
    return { checkpoints: page, next: rows.length > limit ? page[page.length - 1]!.seq : null };
  }
}
