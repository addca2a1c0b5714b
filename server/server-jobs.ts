import type { AuditCheckpoints } from './audit/audit-checkpoints.js';
import type { Config } from './config.js';
import type { JobSpec } from './jobs.js';
import type { Services } from './services.js';

/** Auto-advance looks at every flag's next stage this often. */
export const AUTO_ADVANCE_EVERY_MS = 30_000;
/** Telemetry counts summed in memory are written this often (and once more on close). */
export const TELEMETRY_FLUSH_EVERY_MS = 5_000;
/** Retention prunes this often, the first time a minute after start. */
export const RETENTION_EVERY_MS = 10 * 60_000;

/**
 * The server's periodic jobs, each a name, an interval and the run-once function its domain
 * keeps (tests call those by hand). `leaderOnly` jobs run on one replica of a cluster, the
 * holder of the job lease; on one node they always run. The storage object adds its own
 * (SQLite's WAL checkpoint) and the cluster its heartbeat.
 */
export function serverJobs(d: { services: Services; checkpoints: AuditCheckpoints; config: Pick<Config, 'checkpointIntervalMs'> }): JobSpec[] {
  return [
    // A flag whose next stage has autoAdvance moves once its gates hold (server/rollout/rollout-scheduler.ts).
    { name: 'auto_advance', everyMs: AUTO_ADVANCE_EVERY_MS, run: () => d.services.scheduler.tick(), leaderOnly: true },
    // Raw samples and telemetry past RETENTION_DAYS, in small non-urgent batches (server/retention.ts).
    { name: 'retention', everyMs: RETENTION_EVERY_MS, firstAfterMs: 60_000, run: () => d.services.retention.prune(), leaderOnly: true },
    // A signed checkpoint of the audit head when it moved, at start and every CHECKPOINT_INTERVAL_MS.
    { name: 'audit_checkpoint', everyMs: d.config.checkpointIntervalMs, firstAfterMs: 0, run: () => d.checkpoints.tick(), leaderOnly: true },
    // Each replica writes the evaluation counts its own SDKs reported.
    { name: 'telemetry_flush', everyMs: TELEMETRY_FLUSH_EVERY_MS, run: () => d.services.telemetry.tick() },
  ];
}
