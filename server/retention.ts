import type { Clock } from './clock.js';
import type { Db } from './storage/schema.js';
import type { Logger } from './log.js';
import { pruneMetricNames } from './samples/sample-aggregate-store.js';
import { pruneSamples } from './samples/sample-store.js';
import { pruneReach } from './telemetry/reach-store.js';
import { pruneUsage } from './telemetry/usage-store.js';
import type { StorageLane } from './storage/storage.js';

const DAY_MS = 86_400_000;

/** Rows deleted per transaction: small, so a kill waits for at most one such batch. */
export const PRUNE_BATCH = 500;

export interface PruneResult {
  samples: number;
  usage: number;
  reach: number;
  names: number;
}

interface Target {
  name: keyof PruneResult;
  /** The owning store's prune: deletes up to `batch` rows before `cutoff`, returns how many. */
  prune: (storage: StorageLane, db: Db, cutoff: string, batch: number) => Promise<number>;
  cutoff: (now: Date, days: number) => string;
}

const instant = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
const day = (now: Date, days: number) => instant(now, days).slice(0, 10);

/** What is pruned, and by which column (each indexed, migrations/0007). Aggregates are never pruned. */
const TARGETS: Target[] = [
  { name: 'samples', prune: pruneSamples, cutoff: instant }, // metric_samples.received_at
  { name: 'usage', prune: pruneUsage, cutoff: day }, // flag_usage.day
  { name: 'reach', prune: pruneReach, cutoff: day }, // flag_reach.day
  { name: 'names', prune: pruneMetricNames, cutoff: instant }, // metric_names.last_seen_at
];

/**
 * Keeps raw metric samples, evaluation counts and reach registers for `days` (RETENTION_DAYS):
 * older rows are deleted in batches of PRUNE_BATCH, each its own non-urgent transaction through
 * the write gate, so a kill, restore or guardrail trip goes ahead of every batch still to come.
 * The running aggregates stay, so the current stage's evidence survives; so does the audit trail.
 * The `retention` job (server/server-jobs.ts) calls `prune()` every 10 minutes.
 */
export class Retention {
  private running: Promise<PruneResult> | undefined;

  constructor(private readonly deps: { db: Db; storage: StorageLane; clock: Clock; log: Logger; days: number; batch?: number }) {}

  /** Prunes everything past the retention now; a second call while one runs joins it. */
  prune(): Promise<PruneResult> {
    this.running ??= this.pruneAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pruneAll(): Promise<PruneResult> {
    const now = this.deps.clock();
    const batch = this.deps.batch ?? PRUNE_BATCH;
    const out: PruneResult = { samples: 0, usage: 0, reach: 0, names: 0 };
    for (const t of TARGETS) {
      const cutoff = t.cutoff(now, this.deps.days);
      for (;;) {
        const deleted = await this.deps.storage.write(false, (trx) => t.prune(this.deps.storage, trx, cutoff, batch));
        out[t.name] += deleted;
        if (deleted < batch) break;
      }
    }
    if (out.samples + out.usage + out.reach + out.names > 0) this.deps.log.info({ retentionDays: this.deps.days, pruned: out }, 'retention pruned old metric samples and telemetry');
    return out;
  }
}
